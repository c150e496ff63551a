"""The toolkit's machinery: the platform definition, the commands (synth, validate, scan,
bench) and the helpers they share. Constructs live in `building_blocks`, stacks in
`workspaces`; this package only loads, runs and reports."""
