import Foundation
import Testing

@testable import ParleyLoad

@Suite struct ScenarioParserTests {
    func parse(_ yaml: String) throws -> Scenario {
        try ScenarioParser(file: "t.yaml").parse(yaml)
    }

    func failure(_ yaml: String) -> ScenarioError? { scenarioFailure(yaml) }

    let minimal = """
        name: t
        clients: 10
        phases:
          - { name: steady, duration: 2s, publishers: 2, rate: 5/s }
        """

    @Test func minimalScenarioGetsDefaults() throws {
        let scenario = try parse(minimal)
        #expect(scenario.name == "t")
        #expect(scenario.clients == 10)
        #expect(scenario.target == .embedded)
        #expect(scenario.members == "none")
        #expect(scenario.message.kind == .public)
        #expect(scenario.message.senderReceives)
        #expect(scenario.phases == [Scenario.Phase(name: "steady", duration: .seconds(2), publishers: 2, rate: 5, rampTo: nil)])
        #expect(scenario.effectiveReady?.send.contains("sendPrivate") == true)
    }

    @Test func fullScenario() throws {
        let scenario = try parse(
            """
            name: full
            description: everything
            target: [ws://127.0.0.1:9001/, ws://127.0.0.2:9001/x]
            clients: 100
            connect: { rate: 200/s, sources: 127.0.0.1-127.0.0.3, timeout: 5s }
            message: { kind: raw, size: 256, template: '{"x":"{token}"}', includeSender: true }
            hello: null
            phases:
              - { name: a, duration: 500ms, publishers: 1, rate: 1/s, rampTo: 120/m }
            churn: { rate: 5/s }
            sweep: { clients: [4, 16] }
            thresholds:
              fanout.p99: "< 50ms"
              delivery.ratio: ">= 1"
            """)
        #expect(scenario.target == .urls(["ws://127.0.0.1:9001/", "ws://127.0.0.2:9001/x"]))
        #expect(scenario.connect.sources == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        #expect(scenario.connect.rate == 200)
        #expect(scenario.hello == nil)
        #expect(scenario.message.kind == .raw)
        #expect(scenario.message.senderReceives)
        #expect(scenario.phases[0].rampTo == 2)
        #expect(scenario.churn?.rate == 5)
        #expect(scenario.sweepClients == [4, 16])
        #expect(scenario.thresholds["fanout.p99"] == "< 50ms")
        #expect(scenario.effectiveReady == nil)
    }

    @Test func unknownKeyNamesFileLineAndKey() throws {
        let error = try #require(failure(minimal + "\nclinets: 5\n"))
        #expect(error.file == "t.yaml")
        #expect(error.line == 5)
        #expect(error.key == "clinets")
        #expect(error.message.hasPrefix("unknown key"))
        #expect(error.description.hasPrefix("t.yaml:5:1: clinets: unknown key"))
    }

    @Test func unknownKeyInsideAPhase() throws {
        let error = try #require(
            failure(
                """
                name: t
                clients: 10
                phases:
                  - { name: a, duration: 1s, publishers: 1, rate: 5/s, rmapTo: 9/s }
                """))
        #expect(error.key == "phases[0].rmapTo")
        #expect(error.line == 4)
    }

    @Test func wrongTypesAndImpossibleValues() throws {
        #expect(failure("name: t\nclients: many\nphases: []\n")?.message.contains("whole number") == true)
        #expect(failure("name: t\nclients: 0\nphases: []\n")?.message == "must be at least 1, got 0")
        #expect(failure("name: t\nclients: 5\nphases: []\n")?.key == "phases")
        let rate = failure("name: t\nclients: 5\nphases:\n  - { name: a, duration: 1s, publishers: 1, rate: -5/s }\n")
        #expect(rate?.key == "phases[0].rate")
        #expect(rate?.message.contains("rate like 50/s") == true)
        let publishers = failure("name: t\nclients: 5\nphases:\n  - { name: a, duration: 1s, publishers: 6, rate: 5/s }\n")
        #expect(publishers?.message == "6 publishers but only 5 clients")
        #expect(
            failure("name: t\nclients: 5\nphases:\n  - { name: a, duration: soon, publishers: 1, rate: 5/s }\n")?.key
                == "phases[0].duration")
        #expect(
            failure("name: t\nclients: 5\nphases:\n  - { name: a, duration: 0s, publishers: 1, rate: 5/s }\n")?.message
                == "must be longer than 0s")
        #expect(failure(minimal + "\nconnect: { rate: 0/s }\n")?.key == "connect.rate")
        #expect(failure(minimal + "\nconnect: { sources: 10.0.0.1 }\n")?.message.contains("loopback") == true)
        #expect(failure(minimal + "\ntarget: http://x\n")?.key == "target")
        #expect(failure(minimal + "\nmembers: some\n")?.key == "members")
    }

    @Test func reconnectIsReadWithItsRules() throws {
        let scenario = try parse(minimal + "\nreconnect: { drop: 20%, at: 1s, away: 500ms }\n")
        #expect(scenario.reconnect == Scenario.Reconnect(drop: 0.2, at: .seconds(1), away: .milliseconds(500), resume: true))
        #expect(try parse(minimal + "\nreconnect: { resume: false }\n").reconnect?.resume == false)
        #expect(failure(minimal + "\nreconnect: { drop: 20% }\n")?.key == "reconnect.at")
        let share = failure(minimal + "\nreconnect: { drop: 120%, at: 1s }\n")
        #expect(share?.key == "reconnect.drop" && share?.message.contains("share like 20%") == true)
        let late = failure(minimal + "\nreconnect: { drop: 0.1, at: 5s }\n")
        #expect(late?.key == "reconnect.at" && late?.message.contains("past the phases' end") == true, "\(String(describing: late))")
        #expect(failure(minimal + "\nreconnect: { drop: 0.1, at: 1s, often: yes }\n")?.key == "reconnect.often")
        #expect(failure(minimal + "\nhello: ~\nreconnect: { drop: 0.1, at: 1s }\n")?.message.contains("resume is for public chat") == true)
    }

    @Test func missingRequiredKey() throws {
        let error = try #require(failure("name: t\nphases:\n  - { name: a, duration: 1s, publishers: 1, rate: 5/s }\n"))
        #expect(error.key == "clients")
        #expect(error.message == "is required")
    }

    @Test func messageKindRules() throws {
        #expect(failure(minimal + "\nmessage: { kind: raw }\n")?.message.contains("needs a template") == true)
        #expect(failure(minimal + "\nmessage: { kind: raw, template: 'x' }\n")?.message == "the template has no {token}")
        #expect(failure(minimal + "\nmessage: { kind: public, template: '{token}' }\n")?.key == "message.template")
        #expect(failure(minimal + "\nmessage: { kind: loud }\n")?.message.contains("public, private or raw") == true)
        #expect(failure(minimal + "\nmessage: { size: 10 }\n")?.key == "message.size")
    }

    @Test func thresholdsAreCheckedAtParseTime() throws {
        let unknown = failure(minimal + "\nthresholds: { fanout.p98: '< 1ms' }\n")
        #expect(unknown?.key == "thresholds.fanout.p98")
        #expect(unknown?.message.contains("unknown metric") == true)
        #expect(failure(minimal + "\nthresholds: { fanout.p99: '< 1 banana' }\n")?.message.contains("latency") == true)
    }

    @Test func duplicatesAndBadYAML() throws {
        #expect(
            failure(
                """
                name: t
                clients: 5
                phases:
                  - { name: a, duration: 1s, publishers: 1, rate: 5/s }
                  - { name: a, duration: 1s, publishers: 1, rate: 5/s }
                """)?.message.contains("used twice") == true)
        #expect(failure("name: t\nname: u\nclients: 5\n")?.message.contains("duplicated key") == true)
        let yaml = try #require(failure("name: [unclosed\nclients: 5\n"))
        #expect(yaml.message.hasPrefix("not valid YAML"))
        #expect(yaml.line > 0)
    }

    @Test func everyShippedScenarioParses() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scenarios")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 10)
        for file in files {
            let (scenario, _) = try ScenarioParser.load(path: directory.appendingPathComponent(file).path)
            #expect(!scenario.description.isEmpty, "\(file) has a description line")
        }
    }
}
