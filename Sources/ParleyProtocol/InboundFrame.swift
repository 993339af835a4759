/// The type of one top-level field of an inbound JSON object. Strings and numbers carry a value
/// (a join's `since` is a number); the others are needed only to name them in errors.
public enum JSONField: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool, null, array, object

    public var typeName: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        case .array: "array"
        case .object: "object"
        }
    }
}

/// An inbound frame that parsed as a JSON object.
public struct InboundFrame: Sendable, Equatable {
    public let fields: [String: JSONField]

    public init(fields: [String: JSONField]) {
        self.fields = fields
    }

    /// The `action` when it is a string (the managed API's `$request.body.action`), else nil.
    public var action: String? {
        if case .string(let action) = fields[ActionName.Field.action] { return action }
        return nil
    }

    /// A required string field, or the `invalid_field` error that names it.
    public func requiredString(_ key: String) -> Result<String, ProtocolError> {
        switch fields[key] {
        case .string(let value):
            return .success(value)
        case nil:
            return .failure(ProtocolError(.invalidField, "\"\(key)\" is required", action: action))
        case let other?:
            return .failure(
                ProtocolError(.invalidField, "\"\(key)\" must be a string, not \(other.typeName)", action: action))
        }
    }

    /// An optional string field: nil when absent, the `invalid_field` error when not a string.
    public func optionalString(_ key: String) -> Result<String?, ProtocolError> {
        guard fields[key] != nil else { return .success(nil) }
        return requiredString(key).map { Optional($0) }
    }

    /// Parses a text frame's bytes; nil when they are not one JSON object (`FlatJSONObject`).
    public static func parse(_ bytes: some Collection<UInt8>) -> InboundFrame? {
        if let fields = bytes.withContiguousStorageIfAvailable({ FlatJSONObject.parse($0) }) {
            return fields.map(InboundFrame.init(fields:))
        }
        return Array(bytes).withUnsafeBufferPointer { FlatJSONObject.parse($0) }.map(InboundFrame.init(fields:))
    }
}

/// Which route a frame goes to: the one named by its `action`, or `$default` and why.
public enum RouteSelection: Sendable, Equatable {
    case route(String, InboundFrame)
    case invalidJSON
    /// Parsed, but no string action or an action with no route.
    case unknownAction(InboundFrame)

    /// Selects the route as the managed API does: `action` matched exactly against the route keys.
    public static func select(_ bytes: some Collection<UInt8>, routeKeys: Set<String>) -> RouteSelection {
        guard let frame = InboundFrame.parse(bytes) else { return .invalidJSON }
        guard let action = frame.action, routeKeys.contains(action) else { return .unknownAction(frame) }
        return .route(action, frame)
    }

    /// The `$default` route's answer for an unroutable frame.
    public var defaultRouteError: ProtocolError? {
        switch self {
        case .route: return nil
        case .invalidJSON:
            return ProtocolError(.invalidJSON, "the frame is not a JSON object", action: nil)
        case .unknownAction(let frame):
            if let action = frame.action {
                return ProtocolError(.unknownAction, "no route for action \"\(action)\"", action: action)
            }
            return ProtocolError(.unknownAction, "the frame has no string \"action\"", action: nil)
        }
    }
}
