"""The area tree: province → city → district → town/street."""
