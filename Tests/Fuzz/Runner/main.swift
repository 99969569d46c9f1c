import FuzzTargets
import Glibc

// The fuzz runner. Built by `make fuzz` (with `-sanitize=fuzzer,address -D FUZZING`) it hands the process
// to libFuzzer's driver, which calls `fuzzOneInput` with each input of the target named by `FUZZ_TARGET`.
// Built plainly (as `swift build` does) it runs each file named on its command line through that target
// once: a crash input can be replayed under a debugger without the fuzzing build.

let target: FuzzTarget = {
    let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileOutput.standardError(
            "set FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n")
        exit(2)
    }
    return target
}()

let fuzzOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { start, count in
    target.run(start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}

#if FUZZING
    /// libFuzzer's archive refers to this symbol whether or not its own `main` is used.
    @_cdecl("LLVMFuzzerTestOneInput")
    func testOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt { fuzzOneInput(start, count) }

    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
#else
    for path in CommandLine.arguments.dropFirst() {
        guard let bytes = FileInput.read(path) else {
            FileOutput.standardError("cannot read \(path)\n")
            exit(1)
        }
        _ = bytes.withUnsafeBufferPointer { fuzzOneInput($0.baseAddress, $0.count) }
    }
#endif
