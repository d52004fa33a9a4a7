import Foundation
import SwitchboardCore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element read with namespaces resolved: what S3's replies and CalDAV's multistatus bodies are made of.
/// Built on Foundation's `XMLParser` (libxml2). A document with a DTD is refused before parsing, so no entity of
/// its own (a "billion laughs" expansion, an external file) is ever expanded; the five predefined entities and
/// character references are.
package struct XMLTree: Sendable, Equatable {
    /// The namespace URI (`DAV:`, `urn:ietf:params:xml:ns:caldav`), or `""` for none.
    package var namespace: String
    /// The name without its prefix (`multistatus`).
    package var name: String
    /// Attributes by qualified name as written (`xmlns` declarations left out).
    package var attributes: [String: String]
    /// Child elements in document order.
    package var children: [XMLTree]
    /// The element's own text (character data and CDATA), untrimmed.
    package var text: String

    package init(
        namespace: String = "",
        name: String,
        attributes: [String: String] = [:],
        children: [XMLTree] = [],
        text: String = ""
    ) {
        self.namespace = namespace
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child named `name`, in `namespace` when given.
    package func child(_ name: String, namespace: String? = nil) -> XMLTree? {
        children.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// Every child named `name`, in `namespace` when given.
    package func all(_ name: String, namespace: String? = nil) -> [XMLTree] {
        children.filter { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// The text of the first child named `name`.
    package func value(_ name: String, namespace: String? = nil) -> String? {
        child(name, namespace: namespace)?.text
    }

    /// The first descendant (depth first, this element included) named `name`.
    package func first(_ name: String, namespace: String? = nil) -> XMLTree? {
        if self.name == name && (namespace == nil || self.namespace == namespace) { return self }
        for child in children {
            if let found = child.first(name, namespace: namespace) { return found }
        }
        return nil
    }

    /// The document element of `data`.
    ///
    /// - Throws: ``IntegrationError`` `service_error` naming the line and the parser's reason when `data` is not
    ///   well-formed XML, holds a DTD, or nests deeper than 256 elements.
    package static func parse(_ data: Data) throws -> XMLTree {
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil || data.range(of: Data("<!ENTITY".utf8)) != nil {
            throw IntegrationError(code: .serviceError, message: "the XML reply declares a DTD, which is refused")
        }
        let reader = TreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = reader
        let ok = parser.parse()
        if let failure = reader.failure {
            throw IntegrationError(code: .serviceError, message: "the XML reply \(failure)")
        }
        guard ok, let root = reader.root else {
            let reason = parser.parserError.map { " (\(($0 as NSError).code))" } ?? ""
            throw IntegrationError(
                code: .serviceError,
                message: "the XML reply is not well-formed at line \(parser.lineNumber)\(reason)"
            )
        }
        return root
    }

    /// `text` parsed; `nil` when it is not well-formed XML.
    package static func parse(_ text: String) -> XMLTree? {
        try? parse(Data(text.utf8))
    }

    /// Escapes text for an element body or an attribute value.
    package static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

/// Builds the tree from the parser's events.
private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLTree] = []
    var root: XMLTree?
    var failure: String?
    static let maximumDepth = 256

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        guard stack.count < Self.maximumDepth else {
            failure = "nests elements deeper than \(Self.maximumDepth)"
            parser.abortParsing()
            return
        }
        let attributes = attributes.filter { !$0.key.hasPrefix("xmlns") }
        stack.append(XMLTree(namespace: namespaceURI ?? "", name: elementName, attributes: attributes))
    }

    func parser(
        _ parser: XMLParser,
        didEndElement elementName: String,
        namespaceURI: String?,
        qualifiedName: String?
    ) {
        guard let done = stack.popLast() else { return }
        if stack.isEmpty {
            root = done
        } else {
            stack[stack.count - 1].children.append(done)
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self)
    }
}
