"""What a notebook printed, made safe to publish: one allowlist for every page.

`clean` passes an output's HTML through nh3 with the allowlist below (tables,
text markup, images, safe links and the inline styles tables use); Markdown
outputs are rendered first (`markdown_to_html`), SVG figures cleaned by
`clean_svg`. `clean_notebook` cleans a notebook's outputs in place (the copy the
site mounts, `journal.site.mount`); `findings` says what cleaning removed that
could have run or led elsewhere, one line per cell, for the build to report.
Why: the site's "How the site is made" page (pages/site.md).
"""

import re
import xml.etree.ElementTree as ET

import markdown as markdown_lib
import nh3
from bs4 import BeautifulSoup
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from journal.errors import cell_at

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup",
    "dd", "del", "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u",
    "ul", "var",
}
ATTRIBUTES = {
    "*": {"style", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "table": {"border", "cellpadding", "cellspacing"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start"},
    "details": {"open"},
}
CLASSES = {"table": {"dataframe"}}  # pandas' tables keep theirs
STYLE_PROPERTIES = {
    "text-align", "vertical-align", "white-space", "color",
    "background-color", "font-weight", "font-style", "font-family", "font-size",
    "border", "border-collapse", "border-bottom", "border-top", "border-left",
    "border-right", "border-color", "border-style", "border-width", "padding",
    "padding-left", "padding-right", "padding-top", "padding-bottom", "margin",
    "margin-left", "margin-right", "width", "min-width", "max-width", "height",
    "text-decoration",
}
# Elements dropped with everything inside them (the rest keep their text).
DROPPED_WHOLE = {"script", "style", "iframe", "object", "embed", "template",
                 "noscript", "svg", "math", "textarea", "select", "title"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data",
                  "poster", "background", "srcdoc"}
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*\Z")
SAFE_URL = re.compile(r"(https?:|#|[^:/?#]*(?:[/?#]|\Z))", re.IGNORECASE)
QUIET = {"style"}  # dropped without a finding: it only changes how a table looks


def url_allowed(tag: str, value: str) -> bool:
    """http(s), relative and fragment URLs; data: only for images in <img>."""
    value = value.strip()
    if tag == "img" and IMAGE_DATA.match(value):
        return True
    return bool(SAFE_URL.match(value))


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src") and not url_allowed(tag, value):
        return None
    return value


def clean(fragment: str) -> str:
    """An output's HTML with everything outside the allowlist removed."""
    return nh3.clean(fragment, tags=TAGS, clean_content_tags=DROPPED_WHOLE,
                     attributes=ATTRIBUTES, attribute_filter=_filter,
                     url_schemes={"http", "https", "data"}, allowed_classes=CLASSES,
                     filter_style_properties=STYLE_PROPERTIES,
                     link_rel="noopener noreferrer nofollow")


def removed(fragment: str) -> list[str]:
    """What `clean` takes out of ``fragment`` that could run or lead elsewhere."""
    found = []
    for element in BeautifulSoup(fragment, "html.parser").find_all(True):
        if any(parent.name not in TAGS for parent in element.parents
               if parent.name != "[document]"):
            continue  # inside an element that goes as a whole: reported there
        if element.name not in TAGS:
            if element.name not in QUIET:
                found.append(f"<{element.name}> element")
            continue
        for attribute, value in element.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if attribute.lower().startswith("on"):
                found.append(f"{attribute}= handler on <{element.name}>")
            elif attribute.lower() in URL_ATTRIBUTES and \
                    not (attribute in ATTRIBUTES.get(element.name, ())
                         and url_allowed(element.name, value)):
                scheme = value.strip().split(":", 1)[0][:20] if ":" in value else "a"
                found.append(f"{scheme}: URL in <{element.name} {attribute}>")
    return found


def markdown_to_html(text: str) -> str:
    """A text/markdown output as HTML: Markdown's own syntax, then the allowlist."""
    return markdown_lib.markdown(text, extensions=["tables", "fenced_code"])


def output_html(output) -> tuple[str, str] | None:
    """``(mime type, HTML as printed)`` of a rich output that is shown as HTML."""
    data = output.get("data", {})
    for mime in ("text/html", "text/markdown"):
        if mime in data:
            text = data[mime]
            text = "".join(text) if isinstance(text, list) else text
            return mime, markdown_to_html(text) if mime == "text/markdown" else text
    return None


# --- SVG figures: served as files, cleaned when written ------------------------

SVG_NS, XLINK_NS = "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
SVG_DROPPED = {"script", "foreignObject", "set", "animate", "animateMotion",
               "animateTransform", "discard", "iframe", "handler", "listener"}
EMPTY_SVG = f'<svg xmlns="{SVG_NS}"/>'.encode()


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def clean_svg(text: str) -> tuple[bytes, list[str]]:
    """An SVG figure without scripts, handlers, animations or outside links.

    Returns the file's bytes and what was removed; SVG that does not parse
    becomes an empty image.
    """
    try:
        root = parse_xml(text.encode("utf-8"))  # no entity declarations
    except (ET.ParseError, DefusedXmlException) as err:
        return EMPTY_SVG, [f"unreadable SVG ({err}) replaced by an empty image"]
    if _local(root.tag) != "svg":
        return EMPTY_SVG, [f"<{_local(root.tag)}> is not SVG; replaced by an empty image"]
    found = []
    _clean_svg_element(root, found)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), found


def _clean_svg_element(parent, found: list[str]) -> None:
    for child in list(parent):
        name = _local(str(child.tag))
        if name == "metadata":  # never shown (matplotlib's holds RDF): emptied quietly
            child.clear()
        elif name in SVG_DROPPED or not str(child.tag).startswith(f"{{{SVG_NS}}}"):
            found.append(f"<{name}> element in SVG")
            parent.remove(child)
        else:
            _clean_svg_element(child, found)
    for attribute in list(parent.attrib):
        name, value = _local(attribute), parent.attrib[attribute]
        if name.lower().startswith("on"):
            found.append(f"{name}= handler in SVG <{_local(parent.tag)}>")
            del parent.attrib[attribute]
        elif name == "href" and not (value.startswith("#") or IMAGE_DATA.match(value)):
            found.append(f"link in SVG <{_local(parent.tag)} href>")
            del parent.attrib[attribute]


# --- what a notebook's outputs lose --------------------------------------------

def findings(nb, rel: str) -> list[str]:
    """One line per cell whose outputs cleaning changed: notebook, cell, what.

    Cells are named as everywhere (`journal.errors.cell_at`): "code cell k of n".
    """
    lines = []
    code = [cell for cell in nb.cells if cell.get("cell_type") == "code"]
    for index, cell in enumerate(code):
        found = []
        for output in cell.get("outputs", []):
            shown = output_html(output)
            if shown is not None:
                found += removed(shown[1])
            if "image/svg+xml" in output.get("data", {}):
                svg = output["data"]["image/svg+xml"]
                found += clean_svg("".join(svg) if isinstance(svg, list) else svg)[1]
            if "application/javascript" in output.get("data", {}):
                found.append("application/javascript output")
        if found:
            where = cell_at(f"projects/{rel}", code, index)
            lines.append(f"{where}: outputs sanitized, removed: "
                         f"{', '.join(dict.fromkeys(found))}")
    return lines


def clean_notebook(nb) -> bool:
    """Clean ``nb``'s outputs in place, as pages show them; True if any changed.

    HTML and Markdown outputs become their cleaned HTML, SVG its cleaned file,
    and ``application/javascript`` outputs are removed.
    """
    changed = False
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            shown = output_html(output)
            if shown is not None:
                clean_html = clean(shown[1])
                if shown[0] == "text/markdown" or clean_html != _text(data["text/html"]):
                    data.pop("text/markdown", None)
                    data["text/html"] = clean_html
                    changed = True
            if "image/svg+xml" in data:
                svg = clean_svg(_text(data["image/svg+xml"]))[0].decode("utf-8")
                changed |= svg != _text(data["image/svg+xml"])
                data["image/svg+xml"] = svg
            if data.pop("application/javascript", None) is not None:
                changed = True
    return changed


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value
