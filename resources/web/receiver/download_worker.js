// Placeholder of the webrelay branch (the relay's build and tests need the file); the lead's download_worker.js replaces it.
