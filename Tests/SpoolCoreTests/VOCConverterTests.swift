import Foundation
import Testing
@testable import SpoolCore

/// Two objects: a difficult one (still isCrowd 0) and one partly outside the image (clipped).
private let twoObjects = """
    <?xml version="1.0" encoding="utf-8"?>
    <annotation>
      <folder>VOC2012</folder>
      <filename>2007_000027.jpg</filename>
      <source><database>The VOC2007 Database</database></source>
      <size><width>500</width><height>400</height><depth>3</depth></size>
      <segmented>0</segmented>
      <object>
        <name>person</name>
        <pose>Unspecified</pose>
        <truncated>0</truncated>
        <difficult>1</difficult>
        <bndbox><xmin>100</xmin><ymin>50</ymin><xmax>350</xmax><ymax>400</ymax></bndbox>
        <part><name>head</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part>
      </object>
      <object>
        <name> dog </name>
        <difficult>0</difficult>
        <bndbox>
          <xmin>450</xmin>
          <ymin>300</ymin>
          <xmax>520</xmax>
          <ymax>380.5</ymax>
        </bndbox>
      </object>
    </annotation>
    """

/// No objects, and the file name only in `<path>`.
private let noObjects = """
    <annotation>
      <path>C:\\data\\images\\empty.png</path>
      <size><width>64</width><height>32</height></size>
    </annotation>
    """

@Suite struct VOCConverterTests {
    @Test func convertsADevkitFolderWithItsAnnotationsSubfolder() throws {
        let root = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let annotations = root.appendingPathComponent("Annotations")
        try FileManager.default.createDirectory(at: annotations, withIntermediateDirectories: true)
        try write(twoObjects, to: "2007_000027.xml", in: annotations)
        try write(noObjects, to: "empty.xml", in: annotations)
        try write("not VOC", to: "notes.txt", in: annotations)

        let converted = try VOCConverter(imagePrefix: "JPEGImages/").convert(input: root, displayName: "VOC2012")
        #expect(converted.jsonl == """
            {"image_details":{"format":"jpg","height":400,"width":500},"image_url":"JPEGImages/2007_000027.jpg","label":[{"bottomX":0.7,"bottomY":1,"isCrowd":0,"label":"person","topX":0.2,"topY":0.125},{"bottomX":1,"bottomY":0.95125,"isCrowd":0,"label":"dog","topX":0.9,"topY":0.75}]}
            {"image_details":{"format":"png","height":32,"width":64},"image_url":"JPEGImages/empty.png","label":[]}

            """)
        #expect(converted.warnings.map(\.description) == [
            "VOC2012/Annotations/2007_000027.xml:19: object 2 (dog): box clipped to the image (500x400)",
            "VOC2012/Annotations/empty.xml: empty.png: no objects; written with an empty label list",
        ])
        #expect(converted.summary == "2 images, 2 annotations, 2 classes, 2 warnings (1 image without annotations, 1 shape clipped to the image)")
    }

    @Test func convertsOneFileAndSkipsBoxesWithoutArea() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write("""
            <annotation><filename>a.jpeg</filename><size><width>10</width><height>20</height></size>
            <object><name>cat</name><bndbox><xmin>5</xmin><ymin>5</ymin><xmax>5</xmax><ymax>9</ymax></bndbox></object>
            <object><name>cat</name><bndbox><xmin>11</xmin><ymin>5</ymin><xmax>15</xmax><ymax>9</ymax></bndbox></object>
            <object><name>cat</name><bndbox><xmin>0</xmin><ymin>0</ymin><xmax>10</xmax><ymax>20</ymax></bndbox></object>
            </annotation>
            """, to: "a.xml", in: dir)
        let converted = try VOCConverter().convert(input: url, displayName: "a.xml")
        #expect(converted.images == [ConvertedImage(
            imageURL: "a.jpeg", details: ImageDetails(format: "jpeg", width: 10, height: 20),
            label: .objects([ImageObject(label: "cat", shape: .box(NormalizedBox(topX: 0, topY: 0, bottomX: 1, bottomY: 1)))]))])
        #expect(converted.warnings.map(\.description) == [
            "a.xml:2: object 1 (cat): box has zero or negative area (width 0, height 4); skipped",
            "a.xml:3: object 2 (cat): box lies outside the image (10x20); skipped",
        ])
    }

    @Test func reportsEveryFilesErrorsAtOnce() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write("<annotation><filename>a.jpg</filename><object><name>cat</name></object></annotation>", to: "a.xml", in: dir)
        try write("<annotation>\n<filename>b.jpg</filename>\n<oops></annotation>", to: "b.xml", in: dir)
        try write("""
            <annotation><filename>c.jpg</filename>
            <size><width>10</width><height>10</height></size>
            <object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object>
            <object><name>dog</name></object>
            <object><name>cat</name><bndbox><xmin>1</xmin><ymin>one</ymin><xmax>2</xmax></bndbox></object>
            </annotation>
            """, to: "c.xml", in: dir)
        try write("<annotation><filename>d.jpg</filename><size><width>0</width><height>10</height></size></annotation>", to: "d.xml", in: dir)
        try write("<labels/>", to: "e.xml", in: dir)
        try write("<annotation><size><width>5</width><height>5</height></size></annotation>", to: "f.xml", in: dir)

        do {
            _ = try VOCConverter().convert(input: dir, displayName: "voc")
            Issue.record("expected errors")
        } catch {
            let lines = error.problems.map(\.description)
            #expect(lines.count == 8)
            #expect(lines[0] == "voc/a.xml: no <size>: the image's width and height are needed to normalise the boxes; add <size><width>W</width><height>H</height></size>")
            #expect(lines[1] == "voc/b.xml:3: not valid XML: an end tag does not match its start tag (XMLParser error 76)")
            #expect(Array(lines[2...4]) == [
                "voc/c.xml:3: object 1: no <name>: every object needs its class",
                "voc/c.xml:4: object 2 (dog): no <bndbox>; only boxes are converted from VOC",
                "voc/c.xml:5: object 3 (cat): <bndbox> needs xmin, ymin, xmax and ymax as numbers; got xmin 1, ymin one, xmax 2, ymax missing",
            ])
            #expect(lines[5] == "voc/d.xml:1: <size>: width and height must be positive numbers, got 0 x 10")
            #expect(lines[6] == "voc/e.xml:1: the root element is <labels>; a Pascal VOC file has <annotation>")
            #expect(lines[7] == "voc/f.xml:1: no <filename>: the image's file name is needed for image_url")
        }
    }

    @Test func aFolderWithoutXMLIsAnError() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: ConversionError(file: "in", message: "no .xml files; expected Pascal VOC annotations (one XML file per image), or a VOC folder holding Annotations/")) {
            try VOCConverter().convert(input: dir, displayName: "in")
        }
    }
}
