/// The parsers that read bytes from outside, one fuzz target each: what libFuzzer drives (`make fuzz`) and
/// what `make test` replays from the committed corpora (`Tests/Fuzz/Corpus/<target>/`).
///
/// A target must never crash, hang or grow without bound on any input; each checks what must hold of
/// what it parsed (round trips, limits), so a wrong answer fails as loudly as a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case http1
    case http2
    case grpcFraming = "grpc-framing"
    case protobuf
    case json
    case streams
    case config
    case resp
    case media
    case answers

    public func run(_ bytes: [UInt8]) {
        switch self {
        case .http1: HTTP1Fuzz.run(bytes)
        case .http2: HTTP2Fuzz.run(bytes)
        case .grpcFraming: GRPCFramingFuzz.run(bytes)
        case .protobuf: ProtobufFuzz.run(bytes)
        case .json: JSONFuzz.run(bytes)
        case .streams: StreamsFuzz.run(bytes)
        case .config: ConfigFuzz.run(bytes)
        case .resp: RESPFuzz.run(bytes)
        case .media: MediaFuzz.run(bytes)
        case .answers: ProviderAnswersFuzz.run(bytes)
        }
    }
}

/// Where to cut an input into pieces, taken from its first byte: parsers must give the same answer however
/// their input is split, so the pieces vary with the input.
enum FuzzSplit {
    static func pieces(_ bytes: ArraySlice<UInt8>, seed: UInt8) -> [ArraySlice<UInt8>] {
        let step = max(1, Int(seed % 17) * 7 + 1)
        return stride(from: bytes.startIndex, to: bytes.endIndex, by: step).map {
            bytes[$0..<min($0 + step, bytes.endIndex)]
        }
    }
}

/// A property every target checks: breaks loudly, so libFuzzer keeps the input as a crash.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz property violated: \(message())") }
}
