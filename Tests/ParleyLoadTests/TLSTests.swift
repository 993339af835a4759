import Logging
import ParleyChat
import ParleyGateway
import ParleyLoad
import ParleyTestSupport
import Testing

/// wss:// end to end: the gateway behind TLS, parley-load's clients verifying its certificate
/// against a test CA — and refusing an expired or another host's certificate unless told not to.
@Suite(.timeLimit(.minutes(2))) struct TLSTests {
    func withTLSGateway(_ leaf: TestCertificates.Leaf, _ body: (RunningGateway) async throws -> Void) async throws {
        var configuration = GatewayConfiguration.forTests()
        configuration.eventLoopCount = 1
        configuration.tls = try leaf.serverConfiguration()
        var logger = Logger(label: "tls-test")
        logger.logLevel = .critical
        let gateway = try await RunningGateway.start(configuration: configuration, logger: logger) { connections, scheduler in
            ChatHandler(connections: connections, scheduler: scheduler)
        }
        do {
            try await body(gateway)
        } catch {
            try? await gateway.stop()
            throw error
        }
        try await gateway.stop()
    }

    func smoke(ca: String?, insecure: Bool = false) -> LoadTest {
        var scenario = Scenario(name: "wss", clients: 8, phases: [.init(name: "steady", duration: .seconds(1), publishers: 2, rate: 10)])
        scenario.settle = .milliseconds(200)
        scenario.connect.timeout = .seconds(5)
        var options = quietOptions()
        options.tlsCAFile = ca
        options.tlsInsecure = insecure
        return LoadTest(scenario: scenario, source: "", options: options)
    }

    @Test func chatOverWSSDeliversEverythingAndAPlainClientIsTurnedAway() async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        try await withTLSGateway(certificates.good) { gateway in
            #expect(gateway.url.hasPrefix("wss://127.0.0.1:"))
            // Plain ws:// to the TLS port: no upgrade, an error, and the server carries on.
            await #expect(throws: (any Error).self) { _ = try await TestClient.connect(port: gateway.port) }

            let report = try await smoke(ca: certificates.caPath).run(targets: [gateway.url])
            let run = report.runs[0]
            #expect(run.connect.ready == 8, "\(run.connect.errors)")
            #expect(run.overall.expected > 0 && run.overall.received == run.overall.expected)
            #expect(report.environment.insecureTLS == nil, "verified, so not marked insecure")
        }
    }

    @Test(arguments: ["expired", "other host"])
    func anUntrustworthyCertificateIsRefusedUnlessInsecure(_ which: String) async throws {
        let certificates = try TestCertificates.make()
        defer { certificates.remove() }
        let leaf = which == "expired" ? certificates.expired : certificates.otherHost
        try await withTLSGateway(leaf) { gateway in
            let refused = try await smoke(ca: certificates.caPath).run(targets: [gateway.url]).runs[0]
            #expect(refused.connect.ready == 0)
            let expected =
                which == "expired"
                ? "tls: certificate not trusted (expired, wrong host or unknown issuer)" : "tls: certificate is for another host"
            #expect(refused.connect.errors[expected] == 8, "every client refused the certificate: \(refused.connect.errors)")

            let accepted = try await smoke(ca: nil, insecure: true).run(targets: [gateway.url])
            #expect(accepted.runs[0].connect.ready == 8, "\(accepted.runs[0].connect.errors)")
            #expect(accepted.environment.insecureTLS == true, "the report says the certificate went unchecked")
            #expect(ReportPrinter.summary(accepted).contains("WARNING: --insecure"))
        }
    }
}
