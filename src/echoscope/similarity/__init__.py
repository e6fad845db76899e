"""Finding the same post across channels: exact and near-duplicate text, vectorised with NumPy.

    tokens      search-form tokens → 64-bit token hashes, word shingles, exact keys (no per-token Python)
    boilerplate per-channel recurring n-grams (footers, signatures, fixed hashtags), masked before matching
    minhash     MinHash signatures and LSH band keys
    candidates  pairs that share a band, and their exact Jaccard / containment
    grouping    union-find over strong links, containment attachments that never merge two stories
    engine      the clustering core that ties them together: `link_posts`
    changes     what an echo changed compared with its origin (prefix, suffix, hashtags, emoji, truncation)
"""
