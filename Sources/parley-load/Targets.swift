import Foundation
import ParleyHost
import ParleyLoad

/// Where a command's clients go: `--target` URLs, else the scenario's, else (or with
/// `--embedded`) a gateway started inside this process for the duration of `body`.
enum Targets {
    static func with<Result>(
        _ test: LoadTest, target: [String], embedded: Bool, clients needed: Int,
        _ body: ([String]) async throws -> Result
    ) async throws -> Result {
        let limit = OpenFilesLimit.raiseToHardLimit()
        let useEmbedded = embedded || (target.isEmpty && test.scenario.target == .embedded)
        let descriptors = (needed + 64) * (useEmbedded ? 2 : 1)
        if limit > 0 && descriptors > limit {
            FileHandle.standardError.write(
                Data(
                    "parley-load: warning: \(needed) clients need about \(descriptors) descriptors; the limit is \(limit)\n".utf8))
        }
        guard useEmbedded else {
            if !target.isEmpty { return try await body(target) }
            if case .urls(let urls) = test.scenario.target { return try await body(urls) }
            return try await body([])
        }
        let gateway = try await EmbeddedGateway.start()
        do {
            let result = try await body([gateway.url])
            try? await gateway.stop()
            return result
        } catch {
            try? await gateway.stop()
            throw error
        }
    }

    /// The most clients this process can hold: half the descriptors when the gateway is in it too.
    static func clientLimit(_ test: LoadTest, target: [String], embedded: Bool) -> Int {
        let limit = OpenFilesLimit.raiseToHardLimit()
        let useEmbedded = embedded || (target.isEmpty && test.scenario.target == .embedded)
        guard limit > 0 else { return 10_000 }
        return max(1, (limit - 128) / (useEmbedded ? 2 : 1))
    }
}
