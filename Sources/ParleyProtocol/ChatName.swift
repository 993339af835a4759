import Foundation

/// The naming rules of docs/PROTOCOL.md: trimmed, 1–32 Unicode scalars, no control characters;
/// compared case-insensitively by Unicode case folding, displayed as its owner spelled it.
public struct ChatName: Sendable, Hashable {
    public static let maximumScalars = 32

    /// The name as shown to everyone.
    public let display: String
    /// The case-folded form, for uniqueness and `to` matching.
    public let key: String

    public init(validating raw: String) throws(ProtocolError) {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        let scalars = trimmed.unicodeScalars
        if scalars.isEmpty {
            throw ProtocolError(.invalidName, "the name is empty", action: ActionName.setName)
        }
        if scalars.count > Self.maximumScalars {
            throw ProtocolError(
                .invalidName, "the name is longer than \(Self.maximumScalars) characters", action: ActionName.setName)
        }
        if scalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ProtocolError(.invalidName, "the name contains control characters", action: ActionName.setName)
        }
        self.display = trimmed
        self.key = Self.foldedKey(trimmed)
    }

    /// The key a `to` field is matched by.
    public static func foldedKey(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines).folding(options: [.caseInsensitive], locale: nil)
    }
}
