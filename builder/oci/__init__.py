"""The OCI image model and its on-disk forms: the bottom of the builder.

Values: `digest` (content addresses, hashing readers/writers), `media_types`, `config` (the
image config and its history), `manifest` (descriptors, manifests, indexes, platforms),
`layer` (the `Layer` protocol and its blob/bytes kinds) and `image` (the immutable `Image`,
changed only by returning a new one). On-disk forms: `layout` (OCI image layout folders,
written content-addressed and atomically), `docker_archive` (`docker save` tarballs) and
`tar_stream`; `validate` checks images and layouts against the spec. Shared by every other
package: `errors` (the builder's one exception hierarchy), `reproducible` (timestamps,
compression level, canonical JSON) and `_atomic` (atomic file writes). This package imports
only the standard library: nothing else of the builder.
"""
