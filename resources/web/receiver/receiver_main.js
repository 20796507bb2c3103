// Placeholder of the webrelay branch (the relay's build and tests need the file); the lead's receiver_main.js replaces it.
