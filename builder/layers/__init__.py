"""Making layers: what goes into one, written the same way every time, and cached.

`entries` (an `Entry` per path: file, folder or symlink, with its source), `tree` (a folder
walked into entries, with `.lambdaboxignore` rules), `zip_package` (a .zip read as entries),
`tarball` (deterministic tar and its gzip blob, hashed in one pass), `build` (layers from
entries, trees and zips), `cache` (layer blobs by content key), `bytecode` (reproducible
.pyc compilation) and `watch` (inotify and a fingerprint of a build's inputs, for rebuilds).
May import `builder.oci`; never the image, export or CLI packages above.
"""
