/// Sends requests to providers over libcurl; responses stream back as `UpstreamBody`.
public struct HTTPClient: Sendable {
    public init() {}

    /// Starts the request and returns when the response head arrives. Cancelling the calling task
    /// cancels the request; errors are `GatewayError`s already classified.
    public func send(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        let multi = CurlMulti.shared
        guard let transfer = CurlTransfer(request, multi: multi) else {
            throw GatewayError(.internalError, "cannot create a curl handle")
        }
        return try await transfer.awaitHead { multi.send(.add(transfer)) }
    }
}
