/// A line chart as inline SVG: axes with ticks and labels, one polyline per series, a legend,
/// optional reference lines. Values are in the caller's units; ticks carry their own labels.
public struct LineChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var colour: String
        /// Drawn dashed: a reference (linear scaling), not a measurement.
        public var dashed = false

        public init(name: String, points: [(x: Double, y: Double)], colour: String, dashed: Bool = false) {
            self.name = name
            self.points = points
            self.colour = colour
            self.dashed = dashed
        }
    }

    public struct Tick: Sendable {
        public var value: Double
        public var label: String

        public init(_ value: Double, _ label: String) {
            self.value = value
            self.label = label
        }
    }

    /// A reference line across the plot (an SLO) or down it (where a threshold first failed).
    public struct Rule: Sendable {
        public enum Direction: Sendable { case horizontal, vertical }
        public var direction: Direction
        public var value: Double
        public var label: String

        public init(_ direction: Direction, at value: Double, _ label: String) {
            self.direction = direction
            self.value = value
            self.label = label
        }
    }

    /// A measured point that passed or failed (a capacity search's step).
    public struct Mark: Sendable {
        public var x: Double
        public var y: Double
        public var passed: Bool
        public var label: String

        public init(x: Double, y: Double, passed: Bool, label: String) {
            self.x = x
            self.y = y
            self.passed = passed
            self.label = label
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xDomain: ClosedRange<Double>
    public var yDomain: ClosedRange<Double>
    public var xTicks: [Tick]
    public var yTicks: [Tick]
    public var series: [Series] = []
    public var rules: [Rule] = []
    public var marks: [Mark] = []
    public var width: Double = 640
    public var height: Double = 300

    public init(
        title: String, xLabel: String, yLabel: String, xDomain: ClosedRange<Double>, yDomain: ClosedRange<Double>,
        xTicks: [Tick], yTicks: [Tick]
    ) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xDomain = xDomain
        self.yDomain = yDomain
        self.xTicks = xTicks
        self.yTicks = yTicks
    }

    static let palette = ["#2857c5", "#b3261e", "#1d8a4a", "#7a3db8", "#b7791f", "#0f766e", "#c2410c", "#475569", "#be185d"]

    private let left = 64.0, right = 130.0, top = 28.0, bottom = 44.0

    var x: LinearScale { LinearScale(domain: (xDomain.lowerBound, xDomain.upperBound), range: (left, width - right)) }
    var y: LinearScale { LinearScale(domain: (yDomain.lowerBound, yDomain.upperBound), range: (height - bottom, top)) }

    public func svg() -> String {
        let x = self.x, y = self.y
        var out =
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(Int(width))" height="\#(Int(height))" viewBox="0 0 \#(Int(width)) \#(Int(height))" role="img" aria-label="\#(xml(title))">"#
        out += #"<title>\#(xml(title))</title>"#
        out += #"<text x="\#(left)" y="16" class="chart-title">\#(xml(title))</text>"#
        for tick in yTicks {
            let position = f(y(tick.value))
            out += #"<line x1="\#(left)" x2="\#(f(width - right))" y1="\#(position)" y2="\#(position)" class="grid"/>"#
            out += #"<text x="\#(left - 6)" y="\#(position)" dy="4" text-anchor="end" class="tick">\#(xml(tick.label))</text>"#
        }
        for tick in xTicks {
            let position = f(x(tick.value))
            out += #"<line x1="\#(position)" x2="\#(position)" y1="\#(f(height - bottom))" y2="\#(f(height - bottom + 4))" class="axis"/>"#
            out += #"<text x="\#(position)" y="\#(f(height - bottom + 16))" text-anchor="middle" class="tick">\#(xml(tick.label))</text>"#
        }
        out += #"<line x1="\#(left)" x2="\#(f(width - right))" y1="\#(f(height - bottom))" y2="\#(f(height - bottom))" class="axis"/>"#
        out += #"<line x1="\#(left)" x2="\#(left)" y1="\#(top)" y2="\#(f(height - bottom))" class="axis"/>"#
        out +=
            #"<text x="\#(f((left + width - right) / 2))" y="\#(f(height - 6))" text-anchor="middle" class="axis-label">\#(xml(xLabel))</text>"#
        out +=
            #"<text transform="translate(14 \#(f((top + height - bottom) / 2))) rotate(-90)" text-anchor="middle" class="axis-label">\#(xml(yLabel))</text>"#
        for rule in rules {
            switch rule.direction {
            case .horizontal:
                let position = f(y(rule.value))
                out += #"<line x1="\#(left)" x2="\#(f(width - right))" y1="\#(position)" y2="\#(position)" class="rule"/>"#
                out += #"<text x="\#(f(width - right + 4))" y="\#(position)" dy="4" class="rule-label">\#(xml(rule.label))</text>"#
            case .vertical:
                let position = f(x(rule.value))
                out += #"<line x1="\#(position)" x2="\#(position)" y1="\#(top)" y2="\#(f(height - bottom))" class="rule"/>"#
                out += #"<text x="\#(position)" y="\#(f(top - 4))" text-anchor="middle" class="rule-label">\#(xml(rule.label))</text>"#
            }
        }
        for (index, line) in series.enumerated() {
            let points = line.points.map { "\(f(x($0.x))),\(f(y($0.y)))" }.joined(separator: " ")
            out +=
                #"<polyline points="\#(points)" fill="none" stroke="\#(line.colour)" stroke-width="2"\#(line.dashed ? #" stroke-dasharray="6 4""# : "") class="series"><title>\#(xml(line.name))</title></polyline>"#
            let legendY = top + 14 + Double(index) * 16
            out +=
                #"<line x1="\#(f(width - right + 8))" x2="\#(f(width - right + 24))" y1="\#(f(legendY - 4))" y2="\#(f(legendY - 4))" stroke="\#(line.colour)" stroke-width="3"/>"#
            // The legend column is narrow: a long name keeps its end (where runs differ), whole in the tooltip.
            let shown = line.name.count > 16 ? "…" + line.name.suffix(15) : line.name
            out +=
                #"<text x="\#(f(width - right + 28))" y="\#(f(legendY))" class="legend">\#(xml(shown))<title>\#(xml(line.name))</title></text>"#
        }
        for mark in marks {
            out +=
                #"<circle cx="\#(f(x(mark.x)))" cy="\#(f(y(mark.y)))" r="4.5" class="mark \#(mark.passed ? "pass" : "fail")"><title>\#(xml(mark.label))</title></circle>"#
        }
        return out + "</svg>"
    }

    private func f(_ value: Double) -> String { Quantities.trimmed(value, digits: 1) }
}
