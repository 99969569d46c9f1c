internal import CZlib

/// Why gzip data could not be inflated.
public enum GzipError: Error, Equatable {
    case corrupt
    case tooLarge(limit: Int)
}

/// gzip (RFC 1952) compression for gRPC messages, on zlib.
///
/// Memory: each call owns its `z_stream` from init to end inside the call; input and output buffers are
/// Swift arrays pinned only for the duration of each `inflate`/`deflate` step.
public enum GzipCodec {
    /// 15-bit window plus 16: zlib reads and writes the gzip wrapper rather than the zlib one.
    private static let gzipWindowBits: Int32 = 15 + 16

    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        guard
            deflateInit2_(
                &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY,
                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { fatalError("zlib deflateInit2 failed: out of memory") }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        var input = input
        let produced = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let rc = deflate(&stream, Z_FINISH)
                precondition(rc == Z_STREAM_END, "deflate with a deflateBound-sized buffer must finish")
                return target.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// Inflates `input`, refusing to produce more than `limit` bytes (a decompression bomb guard).
    public static func decompress(_ input: [UInt8], limit: Int) throws(GzipError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, gzipWindowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        var finished = false
        var failure: GzipError?
        input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            while !finished, failure == nil {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { target -> (Int32, Int) in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    return (rc, target.count - Int(stream.avail_out))
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit {
                    failure = .tooLarge(limit: limit)
                } else if rc == Z_STREAM_END {
                    finished = true
                } else if rc != Z_OK || (produced == 0 && stream.avail_in == 0) {
                    failure = .corrupt
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
