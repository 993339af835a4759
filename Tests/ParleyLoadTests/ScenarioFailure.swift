import Testing

@testable import ParleyLoad

/// The error a scenario text must be refused with, or nil after recording that it parsed (or
/// failed some other way): the parser tests' one way to ask "is this refused, and how?".
func scenarioFailure(_ yaml: String, file: String = "t.yaml") -> ScenarioError? {
    do {
        _ = try ScenarioParser(file: file).parse(yaml)
        Issue.record("parsed, but should not have:\n\(yaml)")
        return nil
    } catch let error as ScenarioError {
        return error
    } catch {
        Issue.record("wrong error \(error)")
        return nil
    }
}
