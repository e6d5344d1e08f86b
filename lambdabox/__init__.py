"""lambdabox: a toolkit for AWS-Lambda-style container functions."""
