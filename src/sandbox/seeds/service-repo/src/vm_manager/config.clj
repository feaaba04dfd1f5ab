(ns vm-manager.config
  (:require [aero.core :as aero]
            [clojure.java.io :as io]))

(defn load-config
  "Reads resources/config.edn for `profile` (:default, :dev or :prod)."
  [profile]
  (aero/read-config (io/resource "config.edn") {:profile profile}))

(defn image-id
  "The image id for `provider` and `image-name`, or nil."
  [config provider image-name]
  (get-in config [:vm-manager :images provider image-name]))
