"""Tables in the layouts of neighbouring tools, written from plain frames (no Result): IAMC
long format (pyam), a floweaver Dataset with its SankeyDefinition, a Brightway inventory in
bw2io's Excel layout, networkx node-link JSON and GraphML, and the results workbook of
`flowgraph run --xlsx`. app/exchange builds the frames from a solved case."""
