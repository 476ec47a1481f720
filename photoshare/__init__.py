"""The Photoshare Django project: settings, URL routing, WSGI entry point and local-mode mail."""
