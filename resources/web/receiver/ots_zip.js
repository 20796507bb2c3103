// Placeholder of the webrelay branch (the relay's build and tests need the file); helper webformat's ots_zip.js replaces it.
