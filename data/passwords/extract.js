// Regenerates ../common-passwords.txt from the zxcvbn package (npm registry, MIT licence,
// Dropbox): its list of the 30,000 most common passwords seen in public breaches, one a line.
// Run: cd data/passwords && npm ci && node extract.js
const fs = require("fs");
const path = require("path");
const lists = require("zxcvbn/lib/frequency_lists.js");
const out = path.join(__dirname, "..", "common-passwords.txt");
fs.writeFileSync(out, lists.passwords.join("\n") + "\n");
console.log(`wrote ${lists.passwords.length} passwords to ${out}`);
