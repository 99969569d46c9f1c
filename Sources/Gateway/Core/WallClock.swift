import Glibc

/// Wall-clock time for reports (RFC 3339, UTC); durations use the monotonic clock instead.
public enum WallClock {
    public static func rfc3339(_ seconds: time_t = time(nil)) -> String {
        var moment = seconds
        var parts = tm()
        gmtime_r(&moment, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
