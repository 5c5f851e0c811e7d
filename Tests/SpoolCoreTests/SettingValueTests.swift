import Foundation
import Testing
@testable import SpoolCore

@Suite struct SettingValueTests {
    @Test func decodesJSON() throws {
        let json = #"{"a": 1, "b": 1.5, "c": true, "d": "x", "e": [1, "y"], "f": null, "g": {"h": false}}"#
        let value = try JSONDecoder().decode(SettingValue.self, from: Data(json.utf8))
        #expect(value == .map([
            "a": .int(1), "b": .double(1.5), "c": .bool(true), "d": .string("x"),
            "e": .list([.int(1), .string("y")]), "f": .null, "g": .map(["h": .bool(false)]),
        ]))
        let encoded = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(SettingValue.self, from: encoded) == value)
    }

    @Test func describesValuesAsWritten() {
        #expect(SettingValue.double(2.5).description == "2.5")
        #expect(SettingValue.string("sgdd").description == "\"sgdd\"")
        #expect(SettingValue.list([1, "a", true]).description == "[1, \"a\", true]")
        #expect(SettingValue.map(["b": 1, "a": .null]).description == "{a: null, b: 1}")
    }

    @Test func lenientReadings() {
        #expect(SettingValue.string(" 12 ").coercedInt == 12)
        #expect(SettingValue.double(3.0).coercedInt == 3)
        #expect(SettingValue.double(3.5).coercedInt == nil)
        #expect(SettingValue.bool(true).coercedInt == nil)
        #expect(SettingValue.string("1e-3").coercedDouble == 0.001)
        #expect(SettingValue.string("nan").coercedDouble == nil)
        #expect(SettingValue.double(.infinity).coercedDouble == nil)
        #expect(SettingValue.string("TRUE").coercedBool == true)
        #expect(SettingValue.int(2).coercedBool == nil)
        #expect(SettingValue.string("  ").coercedString == nil)
        #expect(SettingValue.int(7).coercedString == "7")
    }
}
