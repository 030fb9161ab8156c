//! The response shapes upstream uses, in one place: plain-text errors (`http.Error`),
//! redirects (`http.Redirect`), and the router's 404/405/OPTIONS answers (spec §2.3, §3.1).

use crate::http::{Body, Response};

pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// `http.Error`: the message plus a newline, as text, with `nosniff`.
pub fn error(status: u16, message: &str) -> Response {
    let mut body = Vec::with_capacity(message.len() + 1);
    body.extend_from_slice(message.as_bytes());
    body.push(b'\n');
    Response::new(status)
        .header("Content-Type", TEXT_PLAIN)
        .header("X-Content-Type-Options", "nosniff")
        .body(Body::Bytes(body))
}

/// A handler's plain text written without `http.Error`: no newline, no `nosniff`.
pub fn plain(status: u16, text: &'static str) -> Response {
    Response::new(status)
        .header("Content-Type", TEXT_PLAIN)
        .body(Body::Static(text.as_bytes()))
}

pub fn not_found() -> Response {
    error(404, "404 page not found")
}

pub fn method_not_allowed(allow: String) -> Response {
    error(405, "Method Not Allowed").header("Allow", allow)
}

pub fn options(allow: String) -> Response {
    Response::new(200).header("Allow", allow)
}

/// Go's `http.Redirect`: GET and HEAD get a small HTML body, other methods none.
pub fn redirect(status: u16, location: String, with_body: bool) -> Response {
    let mut response = Response::new(status);
    if with_body {
        let text = if status == 301 {
            "Moved Permanently"
        } else {
            "Temporary Redirect"
        };
        let mut body = String::from("<a href=\"");
        escape_html(&mut body, &location);
        body.push_str("\">");
        body.push_str(text);
        body.push_str("</a>.\n\n");
        response = response
            .header("Content-Type", "text/html; charset=utf-8")
            .body(Body::Bytes(body.into_bytes()));
    }
    response.header("Location", location)
}

/// A request-target that is not a valid URL: Go answers before any handler, and closes.
pub fn bad_request() -> Response {
    let mut response = plain(400, "400 Bad Request");
    response.close = true;
    response
}

/// Appends `s` escaped as Go's `html.EscapeString` does, for text and quoted attribute values.
pub fn escape_html(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}
