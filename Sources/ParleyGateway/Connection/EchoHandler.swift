import ParleyProtocol

/// `parley serve --handler echo`: accepts every connection and routes nothing — with
/// `GatewayConfiguration.echoesMessages` the gateway sends each message back as it came. What a
/// conformance suite (Autobahn's fuzzingclient) then exercises is the gateway alone.
public struct EchoHandler: RouteHandler {
    public init() {}

    public var routeKeys: Set<String> { [] }
    public func connect(_ request: ConnectRequest) -> ConnectDecision { .accept }
    public func receive(_ event: MessageEvent) {}
    public func disconnect(_ id: ConnectionID) {}
    public func attributes(of id: ConnectionID) -> [String: String] { [:] }
}
