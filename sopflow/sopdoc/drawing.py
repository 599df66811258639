"""DrawingML (``wps``) shapes of the SOP flowchart, anchored to the page at absolute positions.

Each symbol, connector and branch label is one floating ``wp:anchor`` holding a Word 2010
shape (``wps:wsp``): preset geometries for the symbols (``rect``, a ``roundRect`` with
half-height corners for the terminators, ``flowChartDecision``,
``flowChartOffpageConnector``), a custom-geometry open polyline with a triangle line end
for every connector, and borderless text boxes for the labels. Positions are relative
to the page, so they hold whatever paragraph carries the anchors, as long as it is on
the same page (the caller puts them in the title paragraph of each flowchart page).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from docx.oxml import parse_xml

from sopflow.sopdoc.geometry import LABEL_SIZE, Label, Shape, line_height

EMU = 12700  # per point
NAMESPACES = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
)
SHAPE_URI = "http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
LINE_PT, SYMBOL_LINE_PT = 1.0, 1.0
_BLACK = '<a:solidFill><a:srgbClr val="000000"/></a:solidFill>'
_PRESETS = {
    "process": '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom>',
    "terminator": '<a:prstGeom prst="roundRect"><a:avLst><a:gd name="adj" fmla="val 50000"/></a:avLst></a:prstGeom>',
    "end": '<a:prstGeom prst="roundRect"><a:avLst><a:gd name="adj" fmla="val 50000"/></a:avLst></a:prstGeom>',
    "decision": '<a:prstGeom prst="flowChartDecision"><a:avLst/></a:prstGeom>',
    "offpage": '<a:prstGeom prst="flowChartOffpageConnector"><a:avLst/></a:prstGeom>',
}
_TEXT_SIZE = {"terminator": 7.0, "end": 6.5, "offpage": 6.5}


def _emu(points: float) -> int:
    return round(points * EMU)


class DrawingWriter:
    """Makes the ``w:r`` elements holding the anchored shapes, with document-unique ids."""

    def __init__(self, first_id: int = 1000) -> None:
        self.next_id = first_id

    def _run(self, x: float, y: float, w: float, h: float, body: str, name: str) -> object:
        self.next_id += 1
        shape_id = self.next_id
        xml = (
            f"<w:r {NAMESPACES}><w:drawing>"
            f'<wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="{shape_id}" '
            'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1">'
            '<wp:simplePos x="0" y="0"/>'
            f'<wp:positionH relativeFrom="page"><wp:posOffset>{_emu(x)}</wp:posOffset></wp:positionH>'
            f'<wp:positionV relativeFrom="page"><wp:posOffset>{_emu(y)}</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{_emu(w)}" cy="{_emu(h)}"/>'
            '<wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
            f'<wp:docPr id="{shape_id}" name="{escape(name)} {shape_id}"/><wp:cNvGraphicFramePr/>'
            f'<a:graphic><a:graphicData uri="{SHAPE_URI}"><wps:wsp>{body}</wps:wsp></a:graphicData></a:graphic>'
            "</wp:anchor></w:drawing></w:r>"
        )
        return parse_xml(xml)

    def symbol(self, shape: Shape) -> object:
        """Return the run drawing one closed symbol (with its text, if any, centred inside)."""
        text = ""
        if shape.text:
            size = _TEXT_SIZE.get(shape.kind, 7.0)
            inner = _paragraph(shape.text, size, "center")
            text = f"<wps:txbx><w:txbxContent>{inner}</w:txbxContent></wps:txbx>"
        body = (
            "<wps:cNvSpPr/>"
            f'<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{_emu(shape.w)}" cy="{_emu(shape.h)}"/></a:xfrm>'
            f'{_PRESETS[shape.kind]}<a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill>'
            f'<a:ln w="{_emu(SYMBOL_LINE_PT)}">{_BLACK}</a:ln></wps:spPr>'
            f"{text}"
            '<wps:bodyPr rot="0" vert="horz" wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" anchor="ctr" '
            'anchorCtr="0"><a:noAutofit/></wps:bodyPr>'
        )
        return self._run(shape.x, shape.y, shape.w, shape.h, body, _NAMES.get(shape.kind, "Simbol"))

    def connector(self, points: list[tuple[float, float]]) -> object:
        """Return the run drawing one connector: an open polyline ending in an arrowhead."""
        pad = 1.0  # keep the frame non-empty for straight lines
        left, top = min(p[0] for p in points) - pad, min(p[1] for p in points) - pad
        width = max(p[0] for p in points) + pad - left
        height = max(p[1] for p in points) + pad - top
        coords = [(_emu(x - left), _emu(y - top)) for x, y in points]
        path = f'<a:moveTo><a:pt x="{coords[0][0]}" y="{coords[0][1]}"/></a:moveTo>'
        path += "".join(f'<a:lnTo><a:pt x="{x}" y="{y}"/></a:lnTo>' for x, y in coords[1:])
        body = (
            "<wps:cNvSpPr/>"
            f'<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{_emu(width)}" cy="{_emu(height)}"/></a:xfrm>'
            '<a:custGeom><a:avLst/><a:gdLst/><a:ahLst/><a:cxnLst/><a:rect l="0" t="0" r="r" b="b"/><a:pathLst>'
            f'<a:path w="{_emu(width)}" h="{_emu(height)}" fill="none">{path}</a:path></a:pathLst></a:custGeom>'
            f'<a:noFill/><a:ln w="{_emu(LINE_PT)}">{_BLACK}<a:miter lim="800000"/>'
            '<a:tailEnd type="triangle" w="sm" len="sm"/></a:ln></wps:spPr>'
            '<wps:bodyPr rot="0" vert="horz" wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t"><a:noAutofit/>'
            "</wps:bodyPr>"
        )
        return self._run(left, top, width, height, body, "Konektor")

    def label(self, label: Label) -> object:
        """Return the run of a borderless text box holding a branch label (one paragraph per line)."""
        paragraphs = "".join(_paragraph(line, LABEL_SIZE, label.align, italic=True) for line in label.lines)
        body = (
            '<wps:cNvSpPr txBox="1"/>'
            f'<wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{_emu(label.width)}" cy="{_emu(label.height)}"/>'
            '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></wps:spPr>'
            f"<wps:txbx><w:txbxContent>{paragraphs}</w:txbxContent></wps:txbx>"
            '<wps:bodyPr rot="0" vert="horz" wrap="none" lIns="0" tIns="0" rIns="0" bIns="0" anchor="t" '
            'anchorCtr="0"><a:noAutofit/></wps:bodyPr>'
        )
        return self._run(label.x, label.y, label.width, label.height, body, "Label")


_NAMES = {"process": "Proses", "terminator": "Terminator", "end": "Terminator", "decision": "Keputusan"}
_NAMES["offpage"] = "Penghubung antarhalaman"


def _paragraph(text: str, size: float, align: str, bold: bool = False, italic: bool = False) -> str:
    """Return a ``w:p`` with one run of ``text`` at an exact line height (no spacing around)."""
    half_points = round(size * 2)
    line = round(line_height(size) * 20)
    jc = {"center": "center", "right": "right"}.get(align, "left")
    style = ("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
    return (
        f'<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/><w:jc w:val="{jc}"/>'
        f'</w:pPr><w:r><w:rPr>{style}<w:sz w:val="{half_points}"/></w:rPr>'
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
    )
