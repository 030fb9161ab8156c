//! The route prefix from `--web.route-prefix` and `--web.external-url` (spec §2.4, 1.7+ rules).

/// `prefix`, or the external URL's path if it is empty; `/` becomes empty; otherwise a leading
/// `/` is ensured and one trailing `/` removed.
pub fn compute_route_prefix(prefix: &str, external_url_path: &str) -> String {
    let prefix = if prefix.is_empty() {
        external_url_path
    } else {
        prefix
    };
    if prefix == "/" || prefix.is_empty() {
        return String::new();
    }
    let mut p = String::with_capacity(prefix.len() + 1);
    if !prefix.starts_with('/') {
        p.push('/');
    }
    p.push_str(prefix.strip_suffix('/').unwrap_or(prefix));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_as_upstream_1_7_and_later() {
        for (prefix, url, want) in [
            ("", "", ""),
            ("/", "", ""),
            ("", "/pg/", "/pg"),
            ("", "/pg", "/pg"),
            ("pg", "/other/", "/pg"),
            ("/pg/", "", "/pg"),
            ("//x//", "", "//x/"),
        ] {
            assert_eq!(
                compute_route_prefix(prefix, url),
                want,
                "{prefix:?} {url:?}"
            );
        }
    }
}
