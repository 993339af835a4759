import Foundation
import Logging

/// Keeps a `--jwks` file's keys current while serving: reloaded on SIGHUP and whenever the file
/// changes (its size, modification time or inode, looked at once a second), so an identity
/// provider's keys rotate with no restart. A file that cannot be used is logged and the keys in
/// use are kept.
public struct KeyReloader: Sendable {
    public let path: String
    public let authorizer: JWTAuthorizer
    public let interval: Duration
    let logger: Logger

    public init(path: String, authorizer: JWTAuthorizer, interval: Duration = .seconds(1), logger: Logger) {
        self.path = path
        self.authorizer = authorizer
        self.interval = interval
        self.logger = logger
    }

    /// What identifies one version of the file without reading it.
    struct Stamp: Equatable {
        let size: Int
        let modified: Date
        let inode: Int
    }

    func stamp() -> Stamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return Stamp(
            size: (attributes[.size] as? NSNumber)?.intValue ?? -1,
            modified: attributes[.modificationDate] as? Date ?? .distantPast,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? -1)
    }

    /// Loads the file now; false (and logged) when it cannot be used.
    @discardableResult
    public func reload(because cause: String) async -> Bool {
        do {
            let keys = try await VerificationKeys.jwksFile(path)
            authorizer.replaceKeys(keys)
            logger.info(
                "JWKS reloaded", metadata: ["file": "\(path)", "cause": "\(cause)", "kids": "\(keys.keyIDs.joined(separator: ","))"])
            return true
        } catch {
            logger.error("JWKS not reloaded; the keys in use are kept", metadata: ["file": "\(path)", "error": "\(error)"])
            return false
        }
    }

    /// Watches the file until cancelled; `hangups` yields once per SIGHUP.
    public func run(hangups: some AsyncSequence<Void, Never> & Sendable) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in hangups { await reload(because: "SIGHUP") }
            }
            group.addTask {
                var seen = stamp()
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    let now = stamp()
                    if now != seen, now != nil {
                        seen = now
                        await reload(because: "the file changed")
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
