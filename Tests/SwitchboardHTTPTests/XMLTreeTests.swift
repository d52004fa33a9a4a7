import Foundation
import SwitchboardCore
import Testing

@testable import SwitchboardHTTP

@Suite struct XMLTreeTests {
    /// A CalDAV REPORT answer in the shape RFC 4791 gives: prefixed and default namespaces, an attribute, an
    /// escaped calendar body. The reader must tell `DAV:` elements from CalDAV ones by namespace, not prefix.
    @Test func multistatusWithNamespacesAndAttributes() throws {
        let body = """
            <?xml version="1.0" encoding="utf-8" ?>
            <D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
              <D:response>
                <D:href>/cal/work/abc.ics</D:href>
                <D:propstat>
                  <D:prop>
                    <D:getetag>"2-a&amp;b"</D:getetag>
                    <C:calendar-data content-type="text/calendar">BEGIN:VCALENDAR&#13;
            SUMMARY:R&amp;D &lt;review&gt;&#13;
            END:VCALENDAR</C:calendar-data>
                  </D:prop>
                  <D:status>HTTP/1.1 200 OK</D:status>
                </D:propstat>
              </D:response>
              <response xmlns="DAV:"><href>/cal/work/def.ics</href><status>HTTP/1.1 404 Not Found</status></response>
            </D:multistatus>
            """
        let tree = try XMLTree.parse(Data(body.utf8))
        #expect(tree.name == "multistatus" && tree.namespace == "DAV:")
        let responses = tree.all("response", namespace: "DAV:")
        #expect(responses.count == 2)
        #expect(responses[0].value("href", namespace: "DAV:") == "/cal/work/abc.ics")
        #expect(responses[1].value("href", namespace: "DAV:") == "/cal/work/def.ics")
        let data = try #require(tree.first("calendar-data", namespace: "urn:ietf:params:xml:ns:caldav"))
        #expect(data.attributes["content-type"] == "text/calendar")
        #expect(data.text.contains("SUMMARY:R&D <review>\r\n"))
        #expect(tree.first("getetag")?.text == "\"2-a&b\"")
        // The same local name in another namespace is another element.
        #expect(tree.first("calendar-data", namespace: "DAV:") == nil)
    }

    @Test func s3RepliesReadAsBefore() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>\
            <Contents><Key>a &amp; b.txt</Key><Size>3</Size><ETag>&quot;abc&quot;</ETag></Contents>\
            <Contents><Key><![CDATA[x<y]]></Key><Size>0</Size></Contents>\
            <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes><IsTruncated>false</IsTruncated></ListBucketResult>
            """
        let tree = try #require(XMLTree.parse(body))
        #expect(tree.namespace == "http://s3.amazonaws.com/doc/2006-03-01/")
        #expect(tree.all("Contents").map { $0.value("Key") } == ["a & b.txt", "x<y"])
        #expect(tree.all("Contents")[0].value("ETag") == "\"abc\"")
        #expect(tree.child("CommonPrefixes")?.value("Prefix") == "dir/")
        #expect(tree.value("IsTruncated") == "false")
    }

    @Test func refusesDTDsMalformedAndDeepDocuments() {
        let bomb = """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
            <lolz>&lol2;</lolz>
            """
        #expect(throws: IntegrationError.self) { try XMLTree.parse(Data(bomb.utf8)) }
        let external = #"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>"#
        #expect(throws: IntegrationError.self) { try XMLTree.parse(Data(external.utf8)) }
        do {
            _ = try XMLTree.parse(Data("<a><b></a>".utf8))
            Issue.record("a malformed document was accepted")
        } catch let error as IntegrationError {
            #expect(error.code == .serviceError)
            #expect(error.message.contains("not well-formed at line 1"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(XMLTree.parse("") == nil)
        #expect(XMLTree.parse("plain text") == nil)
        let deep = String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
        #expect(throws: IntegrationError.self) { try XMLTree.parse(Data(deep.utf8)) }
    }

    @Test func escapingRoundTrips() throws {
        let text = #"a<b>&"c"'d ሴ"#
        let tree = try XMLTree.parse(Data("<v a=\"\(XMLTree.escape(text))\">\(XMLTree.escape(text))</v>".utf8))
        #expect(tree.text == text)
        #expect(tree.attributes["a"] == text)
    }
}
