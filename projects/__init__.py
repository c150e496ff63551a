"""The applications app-dw hosts, one folder each."""
