"""Media evidence: the exact bytes (SHA-256, `hashing`) and what a picture looks like, for image reuse.

    hashing        chunked SHA-256 of evidence files
    pdq            decoding, border trimming, PDQ hashes with quality and dihedral variants
    robust         ORB features, anchors and geometric verification (crops, captions, logos)
    matching       the one rule deciding whether two images show the same picture
    hamming_index  radius search over 256-bit codes: a 16-chunk pigeonhole join (NumPy), FAISS for single queries
    locate         reading a stored file back from where ingest found it
    image_search   where does this picture appear in the store?
"""
