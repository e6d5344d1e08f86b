"""Function images and packages: a function's code and dependencies on top of a base.

`build` (the image: layers ordered by how often they change, `build_function`),
`dependencies` (pip for the Lambda platform into a cached layer), `pip_cleanup` (what pip
leaves behind that an image does not need), `sdists` (wheels built from sdists in a
container of the base), `containers` (the build-time containers they run in), `lambda_zip`
(the deterministic Lambda .zip), `rebase` (swap the base: a manifest edit) and `dockerfile`
(builds from a Dockerfile with docker or BuildKit). May import `builder.layers` and
`builder.oci`; not `builder.base`, `builder.export` or the CLI.
"""
