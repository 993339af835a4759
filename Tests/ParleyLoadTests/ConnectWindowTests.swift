import Testing

@testable import ParleyLoad

/// How many clients may be pending at once near the open-files limit (ConnectWindow).
@Suite struct ConnectWindowTests {
    @Test func farFromTheLimitNothingIsHeldBack() {
        #expect(ConnectWindow(clients: 5_000, openFiles: 20_000, descriptorsWhilePending: 2) == nil)
        // One descriptor each, pending or not: the window would never bind.
        #expect(ConnectWindow(clients: 19_500, openFiles: 20_000, descriptorsWhilePending: 1) == nil)
        #expect(ConnectWindow(clients: 19_500, openFiles: -1, descriptorsWhilePending: 2) == nil)
    }

    @Test func nearTheLimitThePendingFitWhatIsLeft() throws {
        let window = try #require(ConnectWindow(clients: 19_500, openFiles: 20_000, descriptorsWhilePending: 2))
        #expect(window.pending == 20_000 - ConnectWindow.reserved - 19_500)
        // Every client held plus every pending one's duplicate stays inside the limit.
        #expect(19_500 + window.pending + ConnectWindow.reserved <= 20_000)
    }

    @Test func pastTheLimitAFewStillGoAtATime() throws {
        let window = try #require(ConnectWindow(clients: 25_000, openFiles: 20_000, descriptorsWhilePending: 2))
        #expect(window.pending == ConnectWindow.least)
    }
}
