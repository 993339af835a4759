/// Text for XML and HTML (the HTML report's SVG, the JUnit file): the five characters that
/// matter escaped, and the control characters XML 1.0 has no place for (all below U+0020 but tab,
/// line feed and carriage return) dropped — a scenario name or message with one would otherwise
/// make the whole JUnit file unreadable to the CI system.
func xml(_ text: some StringProtocol) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            if let ascii = character.asciiValue, ascii < 0x20, ascii != 0x09, ascii != 0x0A, ascii != 0x0D { continue }
            out.append(character)
        }
    }
    return out
}
