# Sums `perf report --no-children --sort sym -g none --stdio` lines ("  12.34%  [k] name") into
# a few categories of where a server's time goes; prints "percent<TAB>category", largest first
# once sorted. Used by bench/run-identity with PROFILE=1.
/^ +[0-9.]+%/ {
    p = $1; sub("%", "", p); kind = $2; name = $0; sub(/^ +[0-9.]+% +\[[k.]\] +/, "", name)
    if (kind == "[k]") {
        if (name ~ /finish_task_switch|schedule|futex|switch_to|pick_next|enqueue|dequeue|ttwu|try_to_wake|wake_up|select_task|update_curr|psi_|rseq|raw_spin_unlock/) c = "kernel: scheduling and futex wake-ups (thread hand-offs)"
        else if (name ~ /ext4|jbd2|blk|virtio|iowrite|vring|bio|fsync|filemap|folio|page_cache|writeback|iomap|mpage|submit/) c = "kernel: file writes and fsync"
        else if (name ~ /tcp|sock|skb|ip_|net_|dev_|inet|loopback|napi|epoll|ep_/) c = "kernel: loopback TCP and epoll"
        else c = "kernel: other (system calls, copies, page faults)"
    } else {
        if (name ~ /aws_lc|ecp_nistz256|bn_|rsaz|sha256|p256|ecdsa|RSA_|BN_|ec_GFp|ec_scalar|ec_point|EVP_|CRYPTO_|mont/) c = "signing and hashing (aws-lc)"
        else if (name ~ /sqlite|pcache|wal[A-Z]|btree|Btree|vdbe|Vdbe|sqlx|pager|Pager/) c = "SQLite and sqlx"
        else if (name ~ /^_?mi_|malloc|free|realloc|memmove|memcpy|memset|memcmp/) c = "allocation and memory copies"
        else if (name ~ /hyper|axum|tokio|tower|http::|mio|flume|parking|[Ww]aker/) c = "HTTP and async runtime"
        else if (name ~ /serde|json/) c = "JSON"
        else c = "other user space (Publica, std, libc)"
    }
    total[c] += p
}
END { for (c in total) printf "%.1f\t%s\n", total[c], c }
