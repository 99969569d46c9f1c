import Foundation

@testable import Gateway

/// A fake provider process (Tests/Fakes/fake_upstream.py) on a free loopback port, stopped on deinit.
final class FakeUpstream: @unchecked Sendable {
    let process = Process()
    let port: Int
    let kind: String

    init(kind: String, models: [String], apiKey: String = "test-key") throws {
        self.kind = kind
        let script = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fakes/fake_upstream.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", script.path, "--kind", kind, "--models", models.joined(separator: ","), "--api-key", apiKey,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // Readiness: the fake prints its port once it accepts connections.
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0A]) {
            line.append(byte)
        }
        guard let text = String(data: line, encoding: .utf8), text.hasPrefix("listening on "),
            let port = Int(text.split(separator: ":").last ?? "")
        else { throw FakeError(description: "fake \(kind) did not start") }
        self.port = port
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// What the fake saw: requests and disconnects.
    func log() async throws -> [JSON] {
        let response = try await HTTPClient().send(UpstreamRequest(url: baseURL + "/_fake/log"))
        return try JSONParser.parse(try await response.body.collect())["log"]?.arrayValue ?? []
    }

    func requests(path: String) async throws -> [JSON] {
        try await log().filter { $0["event"]?.stringValue == "request" && $0["path"]?.stringValue == path }
    }
}

struct FakeError: Error, CustomStringConvertible {
    var description: String
}

/// CLOCK_MONOTONIC in seconds: the clock the fake stamps its log with (Python's time.monotonic()).
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A gateway over one fake provider, with the given models configured on it.
func gateway(
    for fake: FakeUpstream, models: String, extraProviders: String = "",
    failover: String = "[same_tier, tier_up, provider_fallback]",
    providerOptions: String = "", client: HTTPClient = HTTPClient()
) throws -> ModelGateway {
    let endpoint = fake.kind == "openai" ? fake.baseURL + "/v1" : fake.baseURL
    let yaml = """
        providers:
          - name: fake-\(fake.kind)
            type: \(fake.kind)
            endpoint: \(endpoint)
            api_key: test-key
            \(providerOptions)
        \(extraProviders)
        models:
        \(models)
        failover:
          strategies: \(failover)
        """
    return ModelGateway(config: try ConfigLoader.parse(yaml, file: "test.yaml"), client: client)
}

/// Collects a stream's chunks.
func collect(_ stream: GenerationStream) async throws -> [GenerateChunk] {
    var chunks: [GenerateChunk] = []
    for try await chunk in stream { chunks.append(chunk) }
    return chunks
}
