// Placeholder entry; the CLI owner replaces it.
process.stderr.write('reverie: CLI not built yet\n');
