/// Scale mixtures of Gaussian processes (Lee, Yun, Yang & Lee, ICLR 2022).
public enum ScaleMixture {}
