import Foundation
import SwitchboardLanguage
import Testing

@Suite struct ReferenceTimeTests {
    @Test func offsetsZonesAndBadTimes() throws {
        let ny = try #require(TimeZone(identifier: "America/New_York"))
        let withOffset = try #require(ReferenceTime.parse("2026-03-04T10:00:00-05:00", zone: .gmt))
        #expect(withOffset.offset == -18000)
        #expect(withOffset.date == Date(timeIntervalSince1970: 1_772_636_400))
        #expect(ReferenceTime.parse("2026-03-04T15:00:00Z", zone: ny)?.date == withOffset.date)
        #expect(ReferenceTime.parse("2026-03-04T15:00:00.250Z", zone: ny)?.date == withOffset.date)
        // No offset: the wall time in the zone (EST here, EDT after March 8).
        #expect(ReferenceTime.parse("2026-03-04T10:00:00", zone: ny)?.date == withOffset.date)
        #expect(ReferenceTime.parse("2026-03-04T10:00:00", zone: ny)?.offset == nil)
        #expect(ReferenceTime.parse("2026-07-04T10:00", zone: ny)?.date == Date(timeIntervalSince1970: 1_783_173_600))
        for bad in [
            "2026-02-30T10:00:00Z", "2026-13-01", "tomorrow", "2026-03-04T25:00:00Z", "2026-03-04T10:00:00+5",
            "2026-03-04T10:00:00Zjunk", "",
        ] {
            #expect(ReferenceTime.parse(bad, zone: .gmt) == nil, "\(bad)")
        }
    }
}
