public enum SVG {}
