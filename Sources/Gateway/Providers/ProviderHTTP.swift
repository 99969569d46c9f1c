import Reactor

/// HTTP plumbing every network provider shares: status checks that turn error bodies into domain errors,
/// JSON bodies, and streams decoded by a provider's translator.
enum ProviderHTTP {
    /// An embedding as floats from a JSON array of numbers (what every provider sends).
    static func vector(_ json: JSON?) -> [Float] {
        (json?.arrayValue ?? []).map { Float($0.doubleValue ?? 0) }
    }

    /// Throws the domain error for a non-2xx response, with the message the provider's body gives.
    static func check(
        _ response: UpstreamResponse, provider: String, message: (JSON) -> String?
    ) async throws {
        guard !(200..<300).contains(response.status) else { return }
        let body = (try? await response.body.collect(limit: 64 * 1024)) ?? []
        let detail = (try? JSONParser.parse(body)).flatMap(message) ?? String(decoding: body.prefix(200), as: UTF8.self)
        throw error(
            status: response.status, detail: detail, provider: provider, retryAfter: response.header("retry-after"))
    }

    /// The one table from a provider's HTTP status to the domain error.
    static func error(status: Int, detail: String, provider: String, retryAfter: String?) -> GatewayError {
        let said = detail.isEmpty ? "" : ": \(detail)"
        switch status {
        case 429:
            return GatewayError(
                .rateLimited, "provider \(provider) is rate limiting\(said)",
                retryAfterSeconds: retryAfter.flatMap { Int($0) }.map { min(max($0, 0), 3600) } ?? 1)
        case 401, 403:
            // The gateway's credentials were refused: not the client's fault, so never a 401 to them.
            var error = GatewayError(
                .providerError,
                "provider \(provider) rejected the gateway's credentials (\(status)): authentication failed")
            error.isProviderAuthenticationFailure = true
            return error
        case 400, 413, 422:
            return GatewayError(.invalidRequest, "provider \(provider) rejected the request\(said)")
        default:
            return GatewayError(.providerError, "provider \(provider) answered \(status)\(said)")
        }
    }

    static func json(_ response: UpstreamResponse, provider: ProviderConfig) async throws -> JSON {
        let body = try await response.body.collect(limit: provider.maxResponseBytes)
        do {
            return try JSONParser.parse(body)
        } catch {
            throw GatewayError(.providerError, "provider \(provider.name) sent malformed JSON (\(error))")
        }
    }

    /// A stream whose events come from feeding body chunks to `translator`.
    static func events<T: StreamTranslator>(_ body: UpstreamBody, _ translator: T) -> ProviderEventStream {
        let reader = TranslatedStream(body: body, translator: translator)
        return ProviderEventStream(
            batches: { try await reader.next() }, body: body,
            pushing: PushedEvents(onCurrentLoop: { body.arrivesOnCurrentLoop }, push: { try await reader.push($0) }))
    }
}

/// Turns a provider's streamed bytes into events; `finish` at the end of the body says whether it ended properly.
protocol StreamTranslator: Sendable {
    /// The provider's configured name, for errors.
    var provider: String { get }
    /// Appends the events `bytes` complete to `events` (a pushed stream reuses one array for every piece).
    mutating func feed(_ bytes: Swift.Span<UInt8>, into events: inout [ProviderEvent]) throws
    mutating func finish() throws -> [ProviderEvent]
}

extension StreamTranslator {
    /// The events `bytes` complete.
    mutating func feed(_ bytes: [UInt8]) throws -> [ProviderEvent] {
        var events: [ProviderEvent] = []
        try feed(bytes.span, into: &events)
        return events
    }
}

/// Pulls body chunks through a translator, a batch of events per chunk; used by exactly one consumer task.
final class TranslatedStream<T: StreamTranslator>: @unchecked Sendable {
    private let body: UpstreamBody
    private var translator: T
    private var ended = false
    private var contentStarted = false

    init(body: UpstreamBody, translator: T) {
        self.body = body
        self.translator = translator
    }

    /// A translation that failed while pushing, thrown once the reader is back.
    private var pushFailure: (any Error)?
    /// The events of the piece being pushed; one array kept for all (a pushed piece's events are handled
    /// before the next piece arrives).
    private var pushed: [ProviderEvent] = []

    /// The events of the next body chunk (possibly none); nil after the end.
    func next() async throws -> [ProviderEvent]? {
        if ended { return nil }
        let events: [ProviderEvent]
        if let chunk = try await body.next() {
            do {
                events = try translate(chunk)
            } catch {
                body.cancel()  // a stream gone wrong is not read further
                throw error
            }
        } else {
            ended = true
            events = try translator.finish()
            noteContent(events)
        }
        return events
    }

    /// Hands the events of each body chunk to `handle` as the chunk arrives (see `UpstreamBody.push`), until
    /// `handle` returns false, the body ends, or a chunk is already waiting; nothing once the stream ended.
    func push(_ handle: @escaping @Sendable ([ProviderEvent]) -> Bool) async throws {
        guard !ended else { return }
        try await body.push { [self] chunk in
            do {
                pushed.removeAllElements()
                try translate(chunk, into: &pushed)
                return handle(pushed)
            } catch {
                pushFailure = error
                return false
            }
        }
        if let failure = pushFailure {
            pushFailure = nil
            body.cancel()
            throw failure
        }
    }

    private func translate(_ chunk: [UInt8]) throws -> [ProviderEvent] {
        var events: [ProviderEvent] = []
        try translate(chunk.span, into: &events)
        return events
    }

    private func translate(_ chunk: Swift.Span<UInt8>, into events: inout [ProviderEvent]) throws {
        do {
            try translator.feed(chunk, into: &events)
        } catch let error as StreamLimitExceeded {
            throw GatewayError(
                .providerError, "provider \(translator.provider) sent a stream line or event over \(error.limit) bytes")
        }
        noteContent(events)
    }

    private func noteContent(_ events: [ProviderEvent]) {
        if !contentStarted, events.contains(where: \.showsTheModelAtWork) {
            contentStarted = true
            body.contentStarted()
        }
    }
}

extension ProviderEvent {
    /// Text, a tool call or reasoning: the model is at work (its first-token timeout is met).
    var showsTheModelAtWork: Bool {
        switch self {
        case .delta, .toolCall, .reasoning: true
        default: false
        }
    }
}

extension JSON {
    /// The largest count (tokens, context length) believed from a provider: more than any model's context,
    /// yet far from overflowing when a million answers are summed.
    static let largestCount = 1 << 32

    /// A count a provider reported, as a whole number in `0...largestCount`; nil when it is not a number.
    /// Providers can be wrong or hostile: a huge or negative figure must neither trap nor skew totals.
    var countValue: Int? {
        guard case .number(let value) = self, value.isFinite else { return nil }
        return Int(min(max(value.rounded(.down), 0), Double(Self.largestCount)))
    }

    /// A tool call's arguments as JSON text: a string as sent (OpenAI's form), any other value written out
    /// (Ollama, and some OpenAI-compatible servers, send an object); nil for null.
    var argumentsText: String? {
        if case .null = self { return nil }
        return stringValue ?? String(decoding: JSONSerializer.serialize(self), as: UTF8.self)
    }
}

extension GenerateRequest {
    /// The text sent when a provider gets one prompt string: the prompt, or the conversation flattened.
    var promptText: String {
        messages.isEmpty ? prompt : messages.map(\.text).joined(separator: "\n")
    }
}
