/// Checks an image (contract §7): png, jpeg, webp or gif by its bytes, within the size limit; a `data:` URL
/// is decoded into its bytes, an `https:` URL is passed on for providers that fetch images.
enum ImageValidation {
    static func validate(_ image: inout Image, field: String, maxBytes: Int) throws(GatewayError) {
        if image.url.hasPrefix("data:") {
            let (mediaType, data) = try dataURL(image.url, field: "\(field).url")
            image.data = data
            if image.mediaType.isEmpty { image.mediaType = mediaType }
            image.url = ""
        }
        if image.data.isEmpty {
            guard !image.url.isEmpty else { throw .invalid(field, "needs data or a url") }
            guard image.url.hasPrefix("https://") else {
                throw .invalid("\(field).url", "must be a data: or https: URL")
            }
            return
        }
        guard image.data.count <= maxBytes else {
            throw .invalid("\(field).data", "is \(image.data.count) bytes; the limit is \(maxBytes)")
        }
        guard let sniffed = mediaType(of: image.data) else {
            throw .invalid("\(field).data", "is not a png, jpeg, webp or gif image")
        }
        if image.mediaType.isEmpty { image.mediaType = sniffed }
        guard image.mediaType == sniffed else {
            throw .invalid("\(field).media_type", "says \(image.mediaType) but the data is \(sniffed)")
        }
    }

    /// The media type the bytes start with, among the four accepted.
    static func mediaType(of data: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            data.count >= offset + prefix.count && Array(data[offset..<offset + prefix.count]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return "image/gif" }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return "image/webp" }
        return nil
    }

    /// `data:<media type>;base64,<payload>`.
    static func dataURL(_ url: String, field: String) throws(GatewayError) -> (String, [UInt8]) {
        let bytes = Array(url.utf8.dropFirst(5))
        guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")) else {
            throw .invalid(field, "is not a data URL (data:<type>;base64,<data>)")
        }
        let header = String(decoding: bytes[..<comma], as: UTF8.self)
        guard header.hasSuffix(";base64") else { throw .invalid(field, "must be a base64 data URL") }
        guard let data = Base64.decode(bytes[(comma + 1)...]) else { throw .invalid(field, "has invalid base64") }
        return (String(header.dropLast(7)), data)
    }
}
