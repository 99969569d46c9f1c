import ArgumentParser
import Gateway
import Glibc
import RPC

/// `model-gateway`: serves every configured LLM over gRPC, HTTP/2 and HTTP/1.1 on one port.
struct ModelGatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-gateway",
        abstract: "One typed API (gRPC and REST) in front of Ollama, vLLM/OpenAI-compatible servers and Anthropic.",
        version: ModelGateway.version)

    @Option(help: "Configuration file (env MODEL_GATEWAY_CONFIG).")
    var config = EnvironmentExpansion.environment("MODEL_GATEWAY_CONFIG") ?? "config/model-gateway.yaml"

    @Option(help: "Address to listen on (default: the config's server.host, else 0.0.0.0).")
    var host: String?

    @Option(
        help:
            "Port to listen on; 0 picks a free one (default: env SERVICE_PORT, else the config's server.port, else 8000)."
    )
    var port: Int?

    @Flag(help: "Validate the configuration and exit 0 (valid) or 1 (invalid, with the reason).")
    var checkConfig = false

    func run() throws {
        DotEnv.load(path: ".env")
        let loaded: GatewayConfig
        do {
            loaded = try ConfigLoader.load(path: config)
        } catch {
            FileHandleOutput.stderr("model-gateway: invalid configuration: \(error)")
            throw ExitCode(1)
        }
        if checkConfig {
            print("\(config): OK (\(loaded.providers.count) providers, \(loaded.models.count) models)")
            return
        }
        let listenPort = port ?? EnvironmentExpansion.environment("SERVICE_PORT").flatMap(Int.init) ?? loaded.port
        let listenHost = host ?? loaded.host
        TerminationSignals.block()
        FileDescriptorLimit.raiseToMaximum()
        MallocTuning.apply(cores: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let gateway = GatewayServer(config: loaded)
        do {
            try gateway.server.start(host: listenHost, port: listenPort)
        } catch {
            FileHandleOutput.stderr("model-gateway: \(error)")
            throw ExitCode(1)
        }
        let product = gateway.gateway
        product.startProbing()
        product.startFleetSync()
        let exporter = BackgroundTask.start { await product.exportTraces() }
        print("listening on \(listenHost):\(gateway.server.port)")
        fflush(nil)
        while TerminationSignals.wait() == SIGHUP { ConfigReload.run(path: config, on: product) }
        product.stopProbing()
        gateway.server.shutdown(drainTimeoutSeconds: loaded.drainTimeoutS)
        exporter.cancel()
        let flushed = ShutdownLatch()
        BackgroundTask.start {
            await product.flushUsage()  // the fleet's share of the requests that just drained
            await product.flushTraces()  // and their spans
            flushed.signal()
        }
        flushed.wait(seconds: 5)
    }
}

/// SIGHUP: the configuration file read and validated again; a valid one is swapped in, a broken one changes
/// nothing. Either way the result is logged (with the file, key path and reason) and counted.
enum ConfigReload {
    static func run(path: String, on gateway: ModelGateway) {
        let logger = RequestLogger()
        do {
            let config = try ConfigLoader.load(path: path)
            gateway.reload(config)
            logger.log(
                .info, "configuration reloaded",
                [
                    "file": .string(path), "providers": .number(Double(config.providers.count)),
                    "models": .number(Double(config.models.count)),
                ])
        } catch {
            gateway.reloadRefused()
            logger.log(
                .error, "configuration reload refused; the running configuration stays", ["reason": .string("\(error)")]
            )
        }
    }
}

/// Lets the main thread wait, bounded, for work finishing in a task.
final class ShutdownLatch: @unchecked Sendable {
    private var semaphore = sem_t()

    init() { sem_init(&semaphore, 0, 0) }

    func signal() { sem_post(&semaphore) }

    func wait(seconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        deadline.tv_sec += seconds
        while sem_timedwait(&semaphore, &deadline) != 0, errno == EINTR {}
    }
}

/// Writes a line to standard error.
enum FileHandleOutput {
    static func stderr(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

ModelGatewayCommand.main()
