import NIOCore
import Testing

@testable import ParleyGateway

/// `HeldFrames`: order kept across the one-frame and several-frame shapes, and what is left for
/// NIO after the kernel took part of a flush — the bytes that went are never sent twice, the ones
/// that did not are never dropped.
@Suite struct HeldFramesTests {
    static func frames(_ texts: [String]) -> HeldFrames {
        var held = HeldFrames()
        for text in texts { held.append(ByteBuffer(string: text)) }
        return held
    }

    static func texts(_ frames: [ByteBuffer]) -> [String] { frames.map { String(buffer: $0) } }

    @Test func oneFrameStaysAloneAndSeveralKeepTheirOrder() {
        var one = Self.frames(["a"])
        #expect(one.first.map { String(buffer: $0) } == "a" && one.more.isEmpty)
        var several = Self.frames(["a", "b", "c"])
        #expect(several.first == nil)
        #expect(Self.texts(several.more) == ["a", "b", "c"])
        var drained: [String] = []
        several.drain { drained.append(String(buffer: $0)) }
        #expect(drained == ["a", "b", "c"] && several.isEmpty)
        one.removeAll()
        #expect(one.isEmpty)
    }

    @Test(arguments: [
        (-1, ["abc", "de", "f"]),  // an error or EAGAIN: nothing went
        (0, ["abc", "de", "f"]),
        (2, ["c", "de", "f"]),  // part of the first frame
        (3, ["de", "f"]),  // exactly the first
        (4, ["e", "f"]),
        (5, ["f"]),
        (6, [String]()),  // everything
    ])
    func whatTheKernelDidNotTakeIsLeftInOrder(sent: Int, left: [String]) {
        var held = Self.frames(["abc", "de", "f"])
        #expect(Self.texts(held.takeUnsent(after: sent)) == left)
        #expect(held.isEmpty)
    }

    @Test func oneFramePartlySentLeavesItsTail() {
        var held = Self.frames(["hello"])
        #expect(Self.texts(held.takeUnsent(after: 2)) == ["llo"])
        var whole = Self.frames(["hello"])
        #expect(whole.takeUnsent(after: 5).isEmpty)
        var none = Self.frames(["hello"])
        #expect(Self.texts(none.takeUnsent(after: -1)) == ["hello"])
    }
}
