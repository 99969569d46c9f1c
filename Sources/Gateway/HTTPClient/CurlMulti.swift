internal import CCurl
internal import CCurlShims
import Glibc
import Synchronization

/// The curl multi handle and the thread that drives it: every provider request of the process runs here,
/// with connections to each provider kept alive and reused.
///
/// Other threads talk to it only through `commands` and `curl_multi_wakeup`; the transfers table and every
/// easy handle are touched on the curl thread alone.
final class CurlMulti: @unchecked Sendable {
    enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case unpause(CurlTransfer)
    }

    static let shared = CurlMulti()

    private let multi: UnsafeMutableRawPointer
    private let commands = Mutex<[Command]>([])
    private var transfers: [ObjectIdentifier: CurlTransfer] = [:]

    private init() {
        curl_global_init(Int(CURL_GLOBAL_ALL))
        multi = curl_multi_init()!
        _ = cshim_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 512)
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<CurlMulti>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, box)
        precondition(rc == 0, "cannot start the curl thread: \(rc)")
        pthread_detach(thread)
    }

    func send(_ command: Command) {
        commands.withLock { $0.append(command) }
        curl_multi_wakeup(multi)
    }

    func cancel(_ transfer: CurlTransfer) { send(.cancel(transfer)) }
    func unpause(_ transfer: CurlTransfer) { send(.unpause(transfer)) }

    private func run() {
        var running: Int32 = 0
        while true {
            for command in commands.withLock({ queue in
                defer { queue.removeAll() }; return queue
            }) {
                apply(command)
            }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                var raw: UnsafeMutableRawPointer?
                _ = cshim_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &raw)
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(raw!).takeUnretainedValue()
                finish(transfer, code: message.pointee.data.result)
            }
            let now = ContinuousClock.now
            var wait = Duration.milliseconds(1000)
            for transfer in Array(transfers.values) {
                guard let deadline = transfer.nextDeadline else { continue }
                if deadline <= now {
                    transfer.abortReason = transfer.timeoutError
                    finish(transfer, code: CURLE_OPERATION_TIMEDOUT)
                } else {
                    wait = min(wait, deadline - now)
                }
            }
            let waitMs = Int32(
                max(1, wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000))
            curl_multi_poll(multi, nil, 0, waitMs, nil)
        }
    }

    private func apply(_ command: Command) {
        switch command {
        case .add(let transfer):
            transfers[ObjectIdentifier(transfer)] = transfer
            curl_multi_add_handle(multi, transfer.easy)
        case .cancel(let transfer):
            guard transfers[ObjectIdentifier(transfer)] != nil else { return }
            transfer.abortReason = transfer.abortReason ?? GatewayError(.cancelled, "the request was cancelled")
            finish(transfer, code: CURLE_ABORTED_BY_CALLBACK)
        case .unpause(let transfer):
            guard transfers[ObjectIdentifier(transfer)] != nil else { return }
            curl_easy_pause(transfer.easy, cshim_curlpause_cont())
        }
    }

    /// Removes the handle (an unfinished transfer's connection is closed, not reused) and settles it.
    private func finish(_ transfer: CurlTransfer, code: CURLcode) {
        guard transfers.removeValue(forKey: ObjectIdentifier(transfer)) != nil else { return }
        curl_multi_remove_handle(multi, transfer.easy)
        transfer.complete(code)
    }
}
