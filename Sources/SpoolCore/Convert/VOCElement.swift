import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An element of a Pascal VOC annotation file, read with Foundation's `XMLParser`: its name, the line it
/// starts on (for messages), its text and its child elements. VOC files are small and flat, so the
/// whole tree is kept.
struct VOCElement: Sendable, Hashable {
    var name: String
    var line: Int
    var text: String
    var children: [VOCElement]

    /// The first child called `name`.
    func child(_ name: String) -> VOCElement? {
        children.first { $0.name == name }
    }

    /// Every child called `name`, in file order.
    func children(_ name: String) -> [VOCElement] {
        children.filter { $0.name == name }
    }

    /// The trimmed text of the first child called `name`, nil when it is absent or empty.
    func value(_ name: String) -> String? {
        guard let text = child(name)?.text.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    /// The first child called `name` as a finite number, nil when absent or not a number.
    func number(_ name: String) -> Double? {
        value(name).flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
    }

    /// Parses an XML document into its root element; the error says what the parser found and where.
    static func parse(_ data: Data) -> Result<VOCElement, ParseFailure> {
        let parser = XMLParser(data: data)
        let builder = Builder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        let parsed = parser.parse()
        if let failure = builder.failure { return .failure(failure) }
        if !parsed {
            let reason = parser.parserError.map(describe) ?? "unknown error"
            return .failure(ParseFailure(line: parser.lineNumber, reason: reason))
        }
        if let open = builder.stack.last {
            return .failure(ParseFailure(line: open.line, reason: "<\(open.name)> is not closed"))
        }
        guard let root = builder.root else { return .failure(ParseFailure(line: nil, reason: "no element: the file is empty or holds no XML")) }
        return .success(root)
    }

    /// XMLParser's errors say only their code on Linux: the common ones in words, the others by code.
    static func describe(_ error: any Error) -> String {
        let code = (error as NSError).code
        let known = [  // libxml2's codes, which Apple's NSXMLParserError shares
            4: "the file is empty", 5: "content after the root element", 9: "a character that XML does not allow",
            23: "an entity without its ';' (write & as &amp;)", 26: "an undeclared entity (write & as &amp;)",
            38: "a '<' inside an attribute value", 39: "an attribute value without quotes",
            40: "an attribute value without its closing quote", 41: "an attribute without a value",
            68: "a name was expected after '<'", 73: "a '>' is missing", 76: "an end tag does not match its start tag",
            77: "a tag is not finished",
        ]
        return known[code].map { "\($0) (XMLParser error \(code))" } ?? "XMLParser error \(code)"
    }

    struct ParseFailure: Error, Sendable, Hashable {
        var line: Int?
        var reason: String
    }

    /// Builds the tree from the parser's events: a stack of open elements.
    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [VOCElement] = []
        var root: VOCElement?
        /// A mismatched end tag, which not every XMLParser reports itself.
        var failure: ParseFailure?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(VOCElement(name: elementName, line: parser.lineNumber, text: "", children: []))
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            guard !stack.isEmpty else { return }
            stack[stack.count - 1].text += string
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if failure == nil {
                failure = ParseFailure(line: parser.lineNumber, reason: VOCElement.describe(parseError))
            }
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let element = stack.popLast() else { return }
            guard element.name == elementName else {
                failure = ParseFailure(line: parser.lineNumber,
                                       reason: "</\(elementName)> closes <\(element.name)> (line \(element.line))")
                parser.abortParsing()
                return
            }
            if stack.isEmpty {
                root = element
            } else {
                stack[stack.count - 1].children.append(element)
            }
        }
    }
}
