import CProtobufC
import Glibc

// The shared half of every protobuf-c codec in this package: packing, unpacking, and reading and writing
// C fields. Each proto's own codec file holds its message glue and calls only these helpers.
//
// Memory: decoding copies every field out of the unpacked C message, which is freed before returning.
// Encoding builds the C message in a `ProtobufCArena` — strings and arrays in C memory the arena owns —
// and frees it all once `pack` has copied the bytes out.

/// C memory for one message being encoded, freed when the arena goes.
///
/// Handed out from blocks of `blockSize` bytes (an answer's strings and structs fit in one), so a message costs
/// a malloc or two instead of one per string, struct and array; larger pieces get blocks of their own.
package final class ProtobufCArena {
    /// Under glibc's per-thread cache limit (1,032-byte chunks, header included): a larger block took
    /// `malloc`'s slow path, ~2 k instructions per message.
    private static let blockSize = 1008
    /// Every piece is aligned for any C type protobuf-c's structs hold (malloc's own alignment).
    private static let alignment = 16
    private var blocks: [UnsafeMutableRawPointer] = []
    /// The unused end of the current block.
    private var unused: UnsafeMutableRawPointer?
    private var unusedBytes = 0

    package init() {}

    deinit {
        for block in blocks { free(block) }
    }

    /// `count` bytes, aligned, uninitialised (blocks are not zeroed whole: most of one is never used).
    @usableFromInline func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        let size = max(count, 1)
        if let unused {
            let padding = (Self.alignment - Int(bitPattern: unused) % Self.alignment) % Self.alignment
            if padding + size <= unusedBytes {
                let piece = unused + padding
                self.unused = piece + size
                unusedBytes -= padding + size
                return piece
            }
        }
        if blocks.capacity == 0 { blocks.reserveCapacity(4) }
        if size > Self.blockSize / 4 {
            let block = malloc(size)!
            blocks.append(block)
            return block
        }
        let block = malloc(Self.blockSize)!
        blocks.append(block)
        unused = block + size
        unusedBytes = Self.blockSize - size
        return block
    }

    /// A NUL-terminated copy of `text`.
    package func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        var text = text
        return text.withUTF8 { bytes in
            let copy = allocate(bytes.count + 1)
            if let base = bytes.baseAddress { copy.copyMemory(from: base, byteCount: bytes.count) }
            copy.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
            return copy.assumingMemoryBound(to: CChar.self)
        }
    }

    /// A C array holding `items`; nil when empty (protobuf-c reads nothing for a zero count). Inlinable, so it is
    /// specialized where it is used: left generic it looks up the metadata of `[T]` at run time on every call.
    @inlinable package func array<T>(_ items: [T]) -> UnsafeMutablePointer<T>? {
        guard !items.isEmpty else { return nil }
        let typed = allocate(MemoryLayout<T>.stride * items.count).bindMemory(to: T.self, capacity: items.count)
        typed.initialize(from: items, count: items.count)
        return typed
    }

    /// One C struct, initialised with `initialize` (the generated `…__init`) and then `fill`.
    package func message<T>(_ initialize: (UnsafeMutablePointer<T>) -> Void, _ fill: (inout T) -> Void)
        -> UnsafeMutablePointer<T>
    {
        let raw = allocate(MemoryLayout<T>.stride)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<T>.stride)
        let typed = raw.bindMemory(to: T.self, capacity: 1)
        initialize(typed)
        fill(&typed.pointee)
        return typed
    }

    package func strings(_ items: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        array(items.map { Optional(string($0)) })
    }

    package func bytes(_ items: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: items.count, data: array(items))
    }
}

/// Packs a built message with its generated size and pack functions.
package func protobufPack<Message>(
    _ message: UnsafeMutablePointer<Message>, size: (UnsafePointer<Message>) -> Int,
    pack: (UnsafePointer<Message>, UnsafeMutablePointer<UInt8>) -> Int
) -> [UInt8] {
    let count = size(message)
    // An empty message is an empty array: creating one with a capacity of 0 writes its count into the
    // standard library's shared empty-array storage, a race between loops (ThreadSanitizer reports it).
    guard count > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        initialized = pack(message, buffer.baseAddress!)
    }
}

/// Unpacks `bytes` with the generated functions, reads the message with `read`, and frees it.
@inlinable package func protobufUnpack<Message, Result>(
    _ bytes: [UInt8], unpack: (Int, UnsafePointer<UInt8>?) -> UnsafeMutablePointer<Message>?,
    free: (UnsafeMutablePointer<Message>) -> Void, read: (Message) throws -> Result
) throws -> Result {
    let decoded = bytes.withUnsafeBufferPointer { unpack($0.count, $0.baseAddress) }
    guard let decoded else { throw GRPCStatus(.invalidArgument, "the request message could not be decoded") }
    defer { free(decoded) }
    return try read(decoded.pointee)
}

/// Reading C fields.
package enum ProtobufCRead {
    package static func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) } ?? ""
    }

    package static func strings(_ count: Int, _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?)
        -> [String]
    {
        guard let pointer, count > 0 else { return [] }
        return (0..<count).map { string(pointer[$0]) }
    }

    package static func messages<T, R>(
        _ count: Int, _ pointer: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ read: (T) -> R
    ) -> [R] {
        guard let pointer, count > 0 else { return [] }
        return (0..<count).compactMap { pointer[$0].map { read($0.pointee) } }
    }

    package static func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
        guard data.len > 0, let base = data.data else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: data.len))
    }
}
