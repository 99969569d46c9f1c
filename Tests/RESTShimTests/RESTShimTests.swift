import Gateway
import GatewayTestSupport
import RPC
import Testing

@testable import RESTShim

@Suite struct JSONRequestReadingTests {
    private func kind(_ body: String) -> (GatewayError.Kind, String)? {
        do {
            _ = try GenerateRequest.fromJSON(Array(body.utf8))
            return nil
        } catch {
            return (error.kind, error.message)
        }
    }

    @Test func readsEveryContractField() throws {
        let (request, stream) = try GenerateRequest.fromJSON(
            Array(
                """
                {"model":"tiny","prompt":"p","system_prompt":"s","temperature":0.5,"max_tokens":12,"stop_sequences":["x"],
                 "metadata":{"team":"a"},"top_p":0.9,"messages":[{"role":"user","content":"hi"}],"stream":true,"extra":1}
                """.utf8))
        #expect(
            request
                == GenerateRequest(
                    model: "tiny", prompt: "p", systemPrompt: "s", temperature: 0.5, maxTokens: 12,
                    stopSequences: ["x"],
                    metadata: ["team": "a"], topP: 0.9, messages: [ChatMessage(role: "user", content: "hi")]))
        #expect(stream)
    }

    @Test func unsetOptionalsStayNil() throws {
        let (request, stream) = try GenerateRequest.fromJSON(
            Array(#"{"model":"m","prompt":"p","temperature":null}"#.utf8))
        #expect(request.temperature == nil && request.maxTokens == nil && request.topP == nil && !stream)
    }

    @Test func malformedJSONIs400AndWrongTypesAre422NamingTheField() {
        #expect(kind("{nope")?.0 == .malformedRequest)
        #expect(kind("")?.0 == .malformedRequest)
        #expect(kind("[1]")! == (.invalidRequest, "body: must be a JSON object"))
        #expect(
            kind(#"{"model":"m","prompt":"p","temperature":"hot"}"#)! == (
                .invalidRequest, "temperature: must be a number, got string"
            ))
        #expect(kind(#"{"model":"m","prompt":"p","max_tokens":1.5}"#)!.1.hasPrefix("max_tokens:"))
        #expect(kind(#"{"model":"m","prompt":"p","metadata":{"a":"b","n":1}}"#)!.1.hasPrefix("metadata.n:"))
        #expect(kind(#"{"model":"m","prompt":"p","stop_sequences":["a",2]}"#)!.1.hasPrefix("stop_sequences[1]:"))
        #expect(
            kind(#"{"model":"m","messages":[{"role":"user","content":"a"},{"role":7}]}"#)!.1.hasPrefix(
                "messages[1].role:"))
        #expect(kind(#"{"model":"m","prompt":"p","stream":"yes"}"#)!.1.hasPrefix("stream:"))
        #expect(
            kind(#"{"model":"m","messages":[{"role":"user"},1]}"#)! == (
                .invalidRequest, "messages[1]: must be an object, got number"
            ))
        // Invalid UTF-8 in a field nobody reads still makes the body malformed, as the parser has it.
        let broken = Array(#"{"model":"m","prompt":"p","x":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        do {
            _ = try GenerateRequest.fromJSON(broken)
            Issue.record("a body with invalid UTF-8 was read")
        } catch {
            #expect(error.kind == .malformedRequest)
        }
    }
}

@Suite struct RESTRouteTests {
    let shim = try! InMemoryShim()

    @Test func generateAnswersWithTheContractFieldsAndEchoesTheRequestID() async {
        let reply = await shim.send(
            "POST", "/api/v1/generate", body: #"{"model":"echo","prompt":"a b","metadata":{"k":"v"}}"#,
            headers: ["x-request-id": "abc-1"])
        #expect(reply.status == 200)
        #expect(reply.headers["x-request-id"] == "abc-1")
        let json = reply.json
        #expect(json["content"] == "a b" && json["model"] == "echo" && json["provider"] == "builtin")
        #expect(json["tokens_input"] == 2 && json["tokens_output"] == 2 && json["finish_reason"] == "stop")
        #expect(json["metadata"] == ["k": "v"] && json["cost_usd"] == 0)
        #expect(json["id"]?.stringValue?.hasPrefix("gen-") == true)
    }

    @Test func streamingIsServerSentEventsWithOneFinalChunk() async throws {
        let reply = await shim.send("POST", "/api/v1/generate", body: #"{"model":"echo","prompt":"x y","stream":true}"#)
        #expect(reply.headers["content-type"] == "text/event-stream")
        #expect(reply.headers["cache-control"] == "no-cache")
        let events = reply.text.split(separator: "\n\n").map(String.init)
        #expect(events.allSatisfy { $0.hasPrefix("data: ") })
        let chunks = try events.map { try JSONParser.parse(String($0.dropFirst(6))) }
        #expect(chunks.compactMap { $0["content"]?.stringValue }.joined() == "x y")
        #expect(chunks.filter { $0["done"] == true }.count == 1)
        #expect(chunks.last?["finish_reason"] == "stop" && chunks.last?["tokens_output"] == 2)
        #expect(reply.finished)
    }

    @Test func errorsHaveTheContractShape() async {
        let missing = await shim.send(
            "POST", "/api/v1/generate", body: #"{"prompt":"p"}"#, headers: ["x-request-id": "r-9"])
        #expect(missing.status == 422)
        #expect(missing.json["error"]?["code"] == "invalid_request")
        #expect(missing.json["error"]?["request_id"] == "r-9")
        #expect(missing.json["error"]?["message"]?.stringValue?.hasPrefix("model:") == true)

        let unknown = await shim.send("POST", "/api/v1/generate", body: #"{"model":"nope","prompt":"p"}"#)
        #expect(unknown.status == 404)
        #expect(unknown.json["error"]?["request_id"]?.stringValue == unknown.headers["x-request-id"])

        let malformed = await shim.send("POST", "/api/v1/generate", body: "{")
        #expect(malformed.status == 400)

        let tooLarge = await shim.send("POST", "/api/v1/generate", body: "", tooLarge: true)
        #expect(tooLarge.status == 413 && tooLarge.json["error"]?["code"] == "payload_too_large")

        let path = await shim.send("GET", "/api/v1/nowhere")
        #expect(path.status == 404 && path.json["error"]?["code"] == "not_found")

        let method = await shim.send("DELETE", "/api/v1/models")
        #expect(method.status == 405 && method.headers["allow"] == "GET")
        #expect(method.json["error"]?["code"] == "method_not_allowed")

        let embed = await shim.send("POST", "/api/v1/embed", body: #"{"model":"echo","input":["x"]}"#)
        #expect(embed.status == 422)
    }

    @Test func modelPathsTakeColonsSlashesAndPercentEncoding() async throws {
        let shim = try InMemoryShim(
            yaml: """
                providers:
                  - {name: builtin, type: builtin}
                models:
                  - {name: "openai/gpt-oss-20b", provider: builtin, aliases: [large]}
                  - {name: "gemma3:4b", provider: builtin}
                """)
        for target in [
            "/api/v1/models/openai/gpt-oss-20b", "/api/v1/models/openai%2Fgpt-oss-20b", "/api/v1/models/large",
        ] {
            let reply = await shim.send("GET", target)
            #expect(reply.status == 200 && reply.json["name"] == "openai/gpt-oss-20b", "\(target)")
        }
        #expect(await shim.send("GET", "/api/v1/models/gemma3%3A4b").json["name"] == "gemma3:4b")
        #expect(await shim.send("GET", "/api/v1/models/gemma3:4b").json["aliases"] == [])
        let list = await shim.send("GET", "/api/v1/models?provider=builtin")
        #expect(list.json["models"]?.arrayValue?.count == 3)
        #expect(list.json["aliases"] == ["large": "openai/gpt-oss-20b"])
        #expect(await shim.send("GET", "/api/v1/models?provider=other").json["models"] == [])
    }

    @Test func healthAndUsage() async {
        let live = await shim.send("GET", "/api/v1/health")
        #expect(
            live.status == 200 && live.json["version"] == .string(ModelGateway.version) && live.json["providers"] == nil
        )
        let detailed = await shim.send("GET", "/api/v1/health/detailed")
        #expect(detailed.json["providers"]?.arrayValue?.first?["name"] == "builtin")
        _ = await shim.send(
            "POST", "/api/v1/generate", body: #"{"model":"echo","prompt":"one two three"}"#,
            headers: ["authorization": "Bearer secret-key"])
        let usage = await shim.send("GET", "/api/v1/usage")
        #expect(usage.json["totals"]?["tokens_output"] == 3 && usage.json["totals"]?["requests"] == 1)
        #expect(usage.json["by_model"]?.arrayValue?.first?["name"] == "echo")
        let keyID = usage.json["by_key"]?.arrayValue?.first?["name"]?.stringValue ?? ""
        #expect(keyID.hasPrefix("key-") && !keyID.contains("secret"))
    }

    @Test func sseEventsAreFramedPerTheSpec() {
        let event = String(decoding: ServerSentEvents.event(["a": "line\nbreak"], name: "error"), as: UTF8.self)
        #expect(event == "event: error\ndata: {\"a\":\"line\\nbreak\"}\n\n")
    }
}

/// Text chunks written from the stream's template are the very bytes of the whole event.
@Suite struct TextChunkTests {
    /// A batch's pieces written as pieces are the bytes of their whole chunks written one by one.
    @Test func piecesWriteWhatTheirWholeChunksWould() {
        let batch = SampleBatches.everyKind
        var pieces = TextChunks()
        var wholes = TextChunks()
        var fromPieces: [UInt8] = []
        var fromWholes: [UInt8] = []
        for piece in batch.pieces { pieces.write(piece, of: batch, into: &fromPieces) }
        for chunk in batch.chunks { wholes.write(chunk, into: &fromWholes) }
        #expect(String(decoding: fromPieces, as: UTF8.self) == String(decoding: fromWholes, as: UTF8.self))
        #expect(batch.chunks.count == 6 && batch.chunks[1].content.contains("quote"))
    }

    @Test(arguments: ["plain", "quote \" and \\ and\nnewline", "ünïcødé 😀", ""])
    func theTemplateWritesWhatTheTreeWould(text: String) {
        var chunks = TextChunks()
        for model in ["m/x:1", "other"] {
            let chunk = GenerateChunk(id: "gen-1", model: model, provider: "p", content: text)
            var fast: [UInt8] = []
            chunks.write(chunk, into: &fast)
            #expect(
                String(decoding: fast, as: UTF8.self)
                    == String(decoding: ServerSentEvents.event(JSONResponses.chunk(chunk)), as: UTF8.self))
        }
    }
}
