//! The requests the load sends: push bodies in the text format and whole HTTP/1.1 requests.

/// One group's body: a gauge family of `series` series, labelled so that no two series of a
/// group collide.
pub fn group_body(group: usize, series: usize) -> Vec<u8> {
    let mut body = String::with_capacity(24 + series * 48);
    body.push_str("# TYPE bench_value gauge\n");
    for s in 0..series {
        body.push_str(&format!(
            "bench_value{{series=\"{s}\",shard=\"{}\"}} {}\n",
            group % 7,
            s as f64 * 1.5
        ));
    }
    body.into_bytes()
}

/// A whole keep-alive request with a `Content-Length` body.
pub fn request(method: &str, path: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// PUTs of groups `from..to` of `job`, each with `series` series.
pub fn puts(job: &str, from: usize, to: usize, series: usize) -> Vec<Vec<u8>> {
    (from..to)
        .map(|g| {
            request(
                "PUT",
                &format!("/metrics/job/{job}/g/{g}"),
                "",
                &group_body(g, series),
            )
        })
        .collect()
}
